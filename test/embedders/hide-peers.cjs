// Preloaded with `node -r`: makes the embedders' optional peers unresolvable, as in an install without them.
'use strict'
const Module = require('node:module')
const HIDDEN = new Set(['openai', '@huggingface/transformers'])
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (HIDDEN.has(request)) {
    const e = new Error(`Cannot find module '${request}'`)
    e.code = 'MODULE_NOT_FOUND'
    throw e
  }
  return resolve.call(this, request, ...rest)
}
