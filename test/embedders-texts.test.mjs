// addTexts / searchText on real tiers (Memory, D-gent on disk): dimension checks, the recorded source,
// refusal of another embedder's vectors (also after reopening a store), and argument checks.
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DgentVectorBackend, HashEmbedder, MemoryVectorBackend, OpenAIEmbedder, SOURCE_KEY, VgentError, addTexts, searchText, textId } from 'vgent'
import { GOOD_KEY, startFakeOpenAI } from './embedders/fake-openai-server.mjs'

const root = mkdtempSync(join(tmpdir(), 'vgent-texts-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `store-${serial++}`)

const DOCS = [
  { id: 'fox', text: 'the quick brown fox jumps', metadata: { kind: 'animal' } },
  { id: 'db', text: 'vector databases store embeddings', metadata: { kind: 'tech' } },
  { id: 'rain', text: 'rain falls on the quiet town', metadata: { kind: 'weather' } },
]

const tiers = {
  memory: async (dimension) => new MemoryVectorBackend({ dimension }),
  dgent: async (dimension) => DgentVectorBackend.open({ dimension, dataDir: freshDir(), durability: 'none' }),
}

for (const [tier, open] of Object.entries(tiers)) {
  test(`[texts:${tier}] addTexts stores vectors with their source; searchText finds them`, async (t) => {
    const h = new HashEmbedder({ dimension: 128 })
    const store = await open(128)
    t.teardown(() => store.close())
    const progress = []
    const ids = await addTexts(store, h, DOCS, { textKey: 'text', onProgress: (d, n) => progress.push([d, n]) })
    t.deepEqual(ids, ['fox', 'db', 'rain'])
    t.deepEqual(progress.at(-1), [3, 3])
    const fox = await store.get('fox')
    t.deepEqual(fox.metadata, { kind: 'animal', text: 'the quick brown fox jumps', [SOURCE_KEY]: 'local/hash' })
    t.deepEqual([...fox.embedding.vector], [...(await h.embed(DOCS[0].text)).vector])
    const hits = await searchText(store, h, 'quick fox', { limit: 2 })
    t.is(hits[0].id, 'fox')
    t.is(hits.length, 2)
    const filtered = await searchText(store, h, 'quick fox', { filter: { kind: 'tech' } })
    t.deepEqual(filtered.map((r) => r.id), ['db'])
  })

  test(`[texts:${tier}] a store built with one embedder refuses another's queries and writes`, async (t) => {
    const server = await startFakeOpenAI()
    t.teardown(() => server.close())
    const store = await open(64)
    t.teardown(() => store.close())
    await addTexts(store, new HashEmbedder({ dimension: 64 }), DOCS)
    // Same dimension, different model: the vectors are not comparable.
    const openai = new OpenAIEmbedder({ dimensions: 64, apiKey: GOOD_KEY, baseURL: server.url })
    const err = await t.throwsAsync(searchText(store, openai, 'quick fox'), { instanceOf: VgentError, code: 'EMBEDDER_MISMATCH' })
    t.regex(err.message, /local\/hash.*openai\/text-embedding-3-small/)
    // Also when the search itself finds nothing to compare: under a threshold or a filter.
    await t.throwsAsync(searchText(store, openai, 'quick fox', { threshold: 0.999 }), { code: 'EMBEDDER_MISMATCH' })
    await t.throwsAsync(searchText(store, openai, 'quick fox', { filter: { kind: 'none such' } }), { code: 'EMBEDDER_MISMATCH' })
    t.deepEqual(await searchText(store, new HashEmbedder({ dimension: 64 }), 'quick fox', { filter: { kind: 'none such' } }), [])
    const before = server.requests.length
    await t.throwsAsync(addTexts(store, openai, ['another model']), { code: 'EMBEDDER_MISMATCH' })
    t.is(server.requests.length, before, 'nothing was embedded (nor paid for) before the refusal')
    t.is(await store.count(), 3)
  })

  test(`[texts:${tier}] dimension mismatch is refused before embedding`, async (t) => {
    const store = await open(32)
    t.teardown(() => store.close())
    const h = new HashEmbedder({ dimension: 64 })
    await t.throwsAsync(addTexts(store, h, ['x']), { code: 'DIMENSION_MISMATCH', message: /64.*32/ })
    await t.throwsAsync(searchText(store, h, 'x'), { code: 'DIMENSION_MISMATCH' })
    t.is(await store.count(), 0)
  })
}

test('[texts:dgent] the recorded source survives reopening the store', async (t) => {
  const dataDir = freshDir()
  const h = new HashEmbedder({ dimension: 16 })
  const s = await DgentVectorBackend.open({ dimension: 16, dataDir })
  await addTexts(s, h, DOCS)
  await s.close()
  const r = await DgentVectorBackend.open({ dimension: 16, dataDir })
  t.teardown(() => r.close())
  const other = { dimension: 16, source: 'test/other', embed: (x) => h.embed(x), embedBatch: (x) => h.embedBatch(x) }
  await t.throwsAsync(searchText(r, other, 'fox'), { code: 'EMBEDDER_MISMATCH' })
  await t.throwsAsync(addTexts(r, other, ['more']), { code: 'EMBEDDER_MISMATCH' })
  t.is((await searchText(r, h, 'quick brown fox'))[0].id, 'fox')
  await addTexts(r, h, ['more from the same model'])
  t.is(await r.count(), 4)
})

test('[texts] bare strings get content ids: re-adding a text replaces it', async (t) => {
  const store = new MemoryVectorBackend({ dimension: 64 })
  const h = new HashEmbedder()
  const ids = await addTexts(store, h, ['alpha', 'beta', 'alpha'])
  t.is(ids[0], textId('alpha'))
  t.is(ids[0], ids[2])
  t.regex(ids[0], /^text-[0-9a-f]{32}$/)
  t.is(await store.count(), 2)
  await addTexts(store, h, ['beta'])
  t.is(await store.count(), 2)
})

test('[texts] entries written without the helpers (no source) are never refused', async (t) => {
  const store = new MemoryVectorBackend({ dimension: 64 })
  const h = new HashEmbedder()
  await store.add('raw', await h.embed('raw vector'), { note: 'added directly' })
  await addTexts(store, h, ['raw vector too'])
  t.is(await store.count(), 2)
  const other = { dimension: 64, source: 'test/other', embed: (x) => h.embed(x), embedBatch: (x) => h.embedBatch(x) }
  const fresh = new MemoryVectorBackend({ dimension: 64 })
  await fresh.add('raw', await h.embed('raw vector'))
  t.is((await searchText(fresh, other, 'raw vector'))[0].id, 'raw')
  await addTexts(fresh, other, ['written by other'])
  t.is(await fresh.count(), 2)
})

test('[texts] bad arguments change nothing', async (t) => {
  const store = new MemoryVectorBackend({ dimension: 64 })
  const h = new HashEmbedder()
  await t.throwsAsync(addTexts(store, h, 'not an array'), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(addTexts(store, h, [{ id: '', text: 'x' }]), { code: 'INVALID_ID' })
  await t.throwsAsync(addTexts(store, h, [{ id: 'a', text: 5 }]), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(addTexts(store, h, [{ id: 'a', text: 'x', metadata: { [SOURCE_KEY]: 'mine' } }]), { code: 'INVALID_ARGUMENT', message: /reserved/ })
  await t.throwsAsync(addTexts(store, h, [{ id: 'a', text: 'x', metadata: { text: 'y' } }], { textKey: 'text' }), { code: 'INVALID_ARGUMENT', message: /reserved/ })
  await t.throwsAsync(addTexts(store, h, [{ id: 'a', text: 'x', metadata: { bad: null } }]), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(addTexts(store, h, ['ok', null]), { code: 'INVALID_ARGUMENT', message: /items\[1\]/ })
  await t.throwsAsync(addTexts(store, h, ['x'], { textKey: '' }), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(addTexts({}, h, ['x']), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(addTexts(store, {}, ['x']), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(searchText(store, h, 42), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(searchText(store, h, 'x', { limit: 0 }), { code: 'INVALID_ARGUMENT' })
  t.is(await store.count(), 0)
  t.deepEqual(await addTexts(store, h, []), [])
})
