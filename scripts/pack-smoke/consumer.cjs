// CommonJS consumer of the installed tarballs: require('vgent'), the native binding came from the
// platform package (the main package ships no .node file), and a search runs through it.
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const vgent = require('vgent')

const KNOWN_ISAS = ['avx512', 'avx2', 'sse', 'neon', 'scalar']
const info = vgent.nativeInfo()
assert.ok(KNOWN_ISAS.includes(info.isa), `nativeInfo().isa is a known kernel: ${JSON.stringify(info)}`)
assert.equal(info.native, true, 'nativeInfo().native with the platform package installed')

const mainDir = path.dirname(require.resolve('vgent/package.json'))
assert.deepEqual(fs.readdirSync(mainDir).filter((f) => f.endsWith('.node')), [], 'the main package ships no binary')
const binding = require.resolve('vgent-linux-x64-gnu')
assert.match(binding, /vgent\.linux-x64-gnu\.node$/)

const store = new vgent.MemoryVectorBackend({ dimension: 2, metric: 'euclidean' })
store
  .addBatch({ ids: ['x', 'y'], vectors: new Float32Array([0, 0, 3, 4]) })
  .then(() => store.search([0, 0], { limit: 2 }))
  .then(async (hits) => {
    assert.deepEqual(hits.map((h) => [h.id, h.distance]), [['x', 0], ['y', 5]])
    await store.close()
    console.log(`require('vgent'): ok (isa ${info.isa}, binding ${path.relative(process.cwd(), binding)})`)
  })
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
