// The embedding cache: keyed by (source, dimension, text), LRU, shared between embedders.
import test from 'ava'
import { CachedEmbedder, EmbeddingCache, HashEmbedder, VgentError } from 'vgent'

/** A real embedder that counts the texts it was asked to embed. */
function counting(inner) {
  const seen = []
  return {
    seen,
    dimension: inner.dimension,
    source: inner.source,
    embed: (x) => (seen.push(x), inner.embed(x)),
    embedBatch: (xs, o) => (seen.push(...xs), inner.embedBatch(xs, o)),
  }
}

test('[cache] repeated texts are embedded once; results equal the inner embedder', async (t) => {
  const h = new HashEmbedder({ dimension: 32 })
  const inner = counting(h)
  const c = new CachedEmbedder(inner)
  t.is(c.dimension, 32)
  t.is(c.source, 'local/hash')
  const a = await c.embed('hello')
  const b = await c.embed('hello')
  t.deepEqual(inner.seen, ['hello'])
  t.deepEqual([...a.vector], [...b.vector])
  t.is(b.source, 'local/hash')
  const progress = []
  const batch = await c.embedBatch(['x', 'hello', 'y', 'x'], { onProgress: (d, n) => progress.push([d, n]) })
  t.deepEqual(inner.seen, ['hello', 'x', 'y'])
  t.deepEqual(progress.at(-1), [4, 4])
  for (const [i, text] of ['x', 'hello', 'y', 'x'].entries()) t.deepEqual([...batch[i].vector], [...(await h.embed(text)).vector])
  t.is(c.cache.hits, 2)
})

test('[cache] a returned embedding cannot corrupt the cache', async (t) => {
  const c = new CachedEmbedder(new HashEmbedder())
  const first = await c.embed('stable')
  first.vector.fill(0)
  t.notDeepEqual([...(await c.embed('stable')).vector], [...first.vector])
})

test('[cache] least recently used entries are evicted first', async (t) => {
  const inner = counting(new HashEmbedder())
  const c = new CachedEmbedder(inner, { maxEntries: 2 })
  await c.embed('a')
  await c.embed('b')
  await c.embed('a') // a is now the most recent
  await c.embed('c') // evicts b
  t.is(c.cache.size, 2)
  await c.embed('a')
  await c.embed('b')
  t.deepEqual(inner.seen, ['a', 'b', 'c', 'b'])
})

test('[cache] one cache shared by embedders keeps sources and widths apart', async (t) => {
  const cache = new EmbeddingCache()
  const narrow = new CachedEmbedder(new HashEmbedder({ dimension: 8 }), { cache })
  const wide = new CachedEmbedder(new HashEmbedder({ dimension: 16 }), { cache })
  const h = new HashEmbedder({ dimension: 8 })
  const other = new CachedEmbedder({ dimension: 8, source: 'test/other', embed: async (x) => h.embed(x.toUpperCase() + ' other'), embedBatch: async (xs) => Promise.all(xs.map((x) => h.embed(x + ' other'))) }, { cache })
  t.is((await narrow.embed('same')).dimension, 8)
  t.is((await wide.embed('same')).dimension, 16)
  t.notDeepEqual([...(await other.embed('same')).vector], [...(await narrow.embed('same')).vector])
  t.is(cache.size, 3)
})

test('[cache] bad arguments', async (t) => {
  t.throws(() => new EmbeddingCache({ maxEntries: 0 }), { instanceOf: VgentError, code: 'INVALID_ARGUMENT' })
  const c = new CachedEmbedder(new HashEmbedder())
  await t.throwsAsync(c.embed(1), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(c.embedBatch([1]), { code: 'INVALID_ARGUMENT' })
})
