// The in-memory stores the TypeScript log replays into in test/fallback-log.test.mjs.
'use strict'
const path = require('node:path')
const dist = path.join(__dirname, '..', '..', 'dist', 'fallback')
const { FallbackCollection } = require(path.join(dist, 'collection.js'))
const { FallbackDgent } = require(path.join(dist, 'datum.js'))

module.exports = {
  innerCollection: (dimension, metric) => new FallbackCollection(dimension, metric),
  innerDgent: () => new FallbackDgent(),
}
