// Preloaded with `node -r`: makes `@qdrant/js-client-rest` unresolvable, as in an install without the
// optional peer dependency.
'use strict'
const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === '@qdrant/js-client-rest') {
    const e = new Error(`Cannot find module '${request}'`)
    e.code = 'MODULE_NOT_FOUND'
    throw e
  }
  return resolve.call(this, request, ...rest)
}
