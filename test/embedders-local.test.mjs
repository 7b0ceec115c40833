// LocalEmbedder on a real all-MiniLM-L6-v2 (int8 ONNX) loaded from disk with no network: semantics,
// batch equals one-by-one, normalization, and the loading errors.
import test from 'ava'
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalEmbedder, MemoryVectorBackend, VgentError, addTexts, searchText } from 'vgent'
import { localModelPath } from './embedders/local-model.mjs'
import { unavailable } from './embedders/skip.mjs'

// vgent loads transformers.js through require(): its CommonJS build has its own `env`, distinct from the ESM build's.
const transformersEnv = createRequire(import.meta.url)('@huggingface/transformers').env
const model = localModelPath()
const norm = (e) => Math.sqrt(e.vector.reduce((s, x) => s + x * x, 0))

if (!model.path) {
  unavailable(test, '[local] LocalEmbedder on a real all-MiniLM-L6-v2', model.reason)
} else {
  let embedder
  test.before(async () => {
    embedder = await LocalEmbedder.load({ modelPath: model.path, offline: true })
  })
  test.after.always(() => embedder?.dispose())

  test('[local] loads from disk: 384 dimensions, source local/all-MiniLM-L6-v2', async (t) => {
    t.is(embedder.dimension, 384)
    t.is(embedder.source, 'local/all-MiniLM-L6-v2')
    const e = await embedder.embed('hello')
    t.is(e.dimension, 384)
    t.is(e.source, 'local/all-MiniLM-L6-v2')
  })

  test('[local] semantics: a paraphrase scores higher than an unrelated sentence', async (t) => {
    const triples = [
      ['A man is eating food.', 'A man is eating a piece of bread.', 'The new movie is awesome.'],
      ['How do I reset my password?', 'I forgot my login credentials and need to change them.', 'The weather in Paris is sunny today.'],
      ['The cat sleeps on the sofa.', 'A kitten is napping on the couch.', 'Stock markets fell sharply on Monday.'],
      ['Vector databases store embeddings.', 'Embeddings are kept in a vector store.', 'She plays the violin beautifully.'],
    ]
    for (const [anchor, related, unrelated] of triples) {
      const [a, r, u] = await embedder.embedBatch([anchor, related, unrelated])
      const near = a.similarity(r)
      const far = a.similarity(u)
      t.true(near > far + 0.2, `${anchor}: related ${near.toFixed(3)} vs unrelated ${far.toFixed(3)}`)
      t.true(near > 0.5, `${anchor}: related ${near.toFixed(3)}`)
    }
  })

  test('[local] synonyms without shared words are close (what HashEmbedder cannot do)', async (t) => {
    const [car, automobile, banana] = await embedder.embedBatch(['car', 'automobile', 'banana'])
    t.true(car.similarity(automobile) > car.similarity(banana) + 0.2)
  })

  test('[local] embedBatch equals embed one by one, in input order, with progress', async (t) => {
    const texts = ['short', 'a somewhat longer sentence with more tokens in it', '', 'mid length text here', 'ünïcödé and 日本語 text', 'short']
    const progress = []
    const small = await LocalEmbedder.load({ modelPath: model.path, offline: true, batchSize: 4 })
    t.teardown(() => small.dispose())
    const batch = await small.embedBatch(texts, { onProgress: (d, n) => progress.push([d, n]) })
    t.deepEqual(progress, [[4, 6], [6, 6]])
    for (let i = 0; i < texts.length; i++) {
      const one = await embedder.embed(texts[i])
      let maxDiff = 0
      for (let k = 0; k < 384; k++) maxDiff = Math.max(maxDiff, Math.abs(one.vector[k] - batch[i].vector[k]))
      t.true(maxDiff < 1e-5, `text ${i}: max difference ${maxDiff}`)
    }
    t.deepEqual([...batch[0].vector], [...batch[5].vector])
  })

  test('[local] output is L2-normalized, including empty and very long (truncated) texts', async (t) => {
    const long = 'word '.repeat(3000)
    for (const e of await embedder.embedBatch(['normal sentence', '', long, '!!!'])) {
      t.true(Math.abs(norm(e) - 1) < 1e-5, `norm ${norm(e)}`)
    }
    // Truncation keeps the first 256 tokens: more of the same text beyond them changes nothing.
    const [a, b] = await embedder.embedBatch([long, long + ' and a different ending that is cut off'])
    t.deepEqual([...a.vector], [...b.vector])
  })

  test('[local] semantic search over a Memory tier store with addTexts / searchText', async (t) => {
    const store = new MemoryVectorBackend({ dimension: embedder.dimension })
    const docs = [
      { id: 'cats', text: 'Cats are small domesticated carnivorous mammals that like to eat fish.' },
      { id: 'rust', text: 'Rust is a systems programming language focused on memory safety.' },
      { id: 'paris', text: 'Paris is the capital and most populous city of France.' },
      { id: 'bread', text: 'Bread is baked from a dough of flour and water.' },
    ]
    await addTexts(store, embedder, docs)
    const top = async (q) => (await searchText(store, embedder, q, { limit: 1 }))[0].id
    t.is(await top('What do kittens like to eat?'), 'cats')
    t.is(await top('Which language prevents memory bugs?'), 'rust')
    t.is(await top('the French capital'), 'paris')
    t.is(await top('how to make a loaf'), 'bread')
    await store.close()
  })

  test('[local] loading errors: a missing folder, a folder without weights, bad options', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vgent-local-model-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    await t.throwsAsync(LocalEmbedder.load({ modelPath: join(dir, 'absent'), offline: true }), { instanceOf: VgentError, code: 'INVALID_ARGUMENT', message: /config\.json/ })
    mkdirSync(join(dir, 'partial'))
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(model.path, f), join(dir, 'partial', f))
    await t.throwsAsync(LocalEmbedder.load({ modelPath: join(dir, 'partial') }), { code: 'INVALID_ARGUMENT', message: /onnx/ })
    await t.throwsAsync(LocalEmbedder.load({ modelPath: model.path, dtype: 'fp32' }), { code: 'INVALID_ARGUMENT', message: /model\.onnx/ })
    await t.throwsAsync(LocalEmbedder.load({ modelPath: model.path, dtype: 'fp64' }), { code: 'INVALID_ARGUMENT' })
    await t.throwsAsync(LocalEmbedder.load({ modelPath: model.path, maxLength: 0 }), { code: 'INVALID_ARGUMENT' })
    await t.throwsAsync(LocalEmbedder.load({ model: '' }), { code: 'INVALID_ARGUMENT' })
    await t.throwsAsync(LocalEmbedder.load({ offline: 'yes' }), { code: 'INVALID_ARGUMENT' })
  })

  test.serial('[local] offline without modelPath loads from the runtime cache and makes no network request', async (t) => {
    const cache = mkdtempSync(join(tmpdir(), 'vgent-hf-cache-'))
    const saved = { cacheDir: transformersEnv.cacheDir, fetch: transformersEnv.fetch }
    const fetched = []
    t.teardown(() => {
      Object.assign(transformersEnv, saved)
      rmSync(cache, { recursive: true, force: true })
    })
    // The layout transformers.js caches a hub model in: <cacheDir>/<owner>/<name>/...
    mkdirSync(join(cache, 'Xenova'))
    symlinkSync(model.path, join(cache, 'Xenova', 'all-MiniLM-L6-v2'))
    transformersEnv.cacheDir = cache
    transformersEnv.fetch = async (url) => {
      fetched.push(String(url))
      throw new Error('no network in this test')
    }
    const cached = await LocalEmbedder.load({ offline: true })
    t.teardown(() => cached.dispose())
    t.is(cached.source, 'local/all-MiniLM-L6-v2')
    t.deepEqual([...(await cached.embed('same model')).vector], [...(await embedder.embed('same model')).vector])
    await t.throwsAsync(LocalEmbedder.load({ model: 'vgent-test/not-a-model', offline: true }), { code: 'INVALID_ARGUMENT', message: /not in the transformers\.js cache/ })
    t.deepEqual(fetched, [])
  })

  test('[local] bad texts are INVALID_ARGUMENT', async (t) => {
    await t.throwsAsync(embedder.embed(7), { code: 'INVALID_ARGUMENT' })
    await t.throwsAsync(embedder.embedBatch(['fine', {}]), { code: 'INVALID_ARGUMENT' })
  })
}
