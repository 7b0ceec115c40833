// The in-memory stores the TypeScript log replays into in test/fallback-log.test.mjs: the fallback
// core's own, or the native in-memory classes until the fallback's are built.
'use strict'
const path = require('node:path')
const dist = path.join(__dirname, '..', '..', 'dist', 'fallback')
let collection, dgent
try {
  collection = require(path.join(dist, 'collection.js')).FallbackCollection
  dgent = require(path.join(dist, 'datum.js')).FallbackDgent
} catch {
  const rust = require('../../index.js')
  collection = rust.NativeCollection
  dgent = rust.NativeDgent
}
module.exports = {
  innerCollection: (dimension, metric) => new collection(dimension, metric),
  innerDgent: () => new dgent(),
}
