// ES module consumer: the named exports the README shows, and the router's default tier (D-gent under
// $KGENTS_DATA_ROOT, which the smoke script points at a temp dir).
import assert from 'node:assert/strict'
import { createVgent, nativeInfo, HashEmbedder, addTexts, searchText, VgentError } from 'vgent'
import vgentDefault from 'vgent'

assert.equal(typeof createVgent, 'function')
assert.equal(vgentDefault.createVgent, createVgent, 'ESM and CommonJS share one implementation')
const info = nativeInfo()
assert.equal(info.native, true, `nativeInfo().native with the platform package installed: ${JSON.stringify(info)}`)

const embedder = new HashEmbedder({ dimension: 64 })
const store = await createVgent({ dimension: 64, namespace: 'esm-smoke' })
assert.equal(store.selected, 'dgent')
await addTexts(store, embedder, ['rust makes the core fast', 'sourdough needs a starter'])
const [top] = await searchText(store, embedder, 'a fast core in rust', { limit: 1 })
assert.ok(top.similarity > 0)
await assert.rejects(store.add('', [1]), VgentError)
const tier = store.selected
await store.close()
console.log(`import from 'vgent': ok (tier ${tier}, isa ${info.isa})`)
