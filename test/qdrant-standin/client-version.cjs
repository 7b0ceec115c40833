// Preloaded with `node -r` (see scripts/qdrant-client-compat.sh): vgent's require('@qdrant/js-client-rest')
// loads the copy installed under $VGENT_QDRANT_CLIENT_DIR instead of the project's own, so the Qdrant
// tests can run against older client releases without touching node_modules.
'use strict'
const Module = require('node:module')
const dir = process.env.VGENT_QDRANT_CLIENT_DIR
if (!dir) throw new Error('client-version.cjs needs VGENT_QDRANT_CLIENT_DIR')
const target = require.resolve('@qdrant/js-client-rest', { paths: [dir] })
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === '@qdrant/js-client-rest') return target
  return resolve.call(this, request, ...rest)
}
