// The Memory tier: the shared conformance suite plus Memory-specific checks
// (codec, Embedding, nativeInfo, bulk loading, event-loop responsiveness).
import test from 'ava'
import {
  DistanceMetric,
  Embedding,
  ErrorCode,
  MemoryVectorBackend,
  VgentError,
  deserializeVector,
  nativeInfo,
  serializeVector,
} from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'
import { approx, bruteForce, compareToReference, mulberry32, randomMatrix, refSimilarity } from './conformance/helpers.mjs'

runConformanceSuite(test, {
  name: 'memory',
  create: async (opts) => new MemoryVectorBackend(opts),
})

// ---- constants and construction --------------------------------------------

test('DistanceMetric values', (t) => {
  t.deepEqual({ ...DistanceMetric }, {
    COSINE: 'cosine',
    EUCLIDEAN: 'euclidean',
    DOT_PRODUCT: 'dot_product',
    MANHATTAN: 'manhattan',
  })
})

test('ErrorCode values equal their names', (t) => {
  const names = ['DIMENSION_MISMATCH', 'INVALID_VECTOR', 'INVALID_ID', 'INVALID_ARGUMENT', 'INVALID_FILTER', 'CLOSED']
  for (const name of names) t.is(ErrorCode[name], name)
  for (const [name, value] of Object.entries(ErrorCode)) t.is(value, name)
})

test('VgentError is an Error subclass with a code', (t) => {
  t.true(VgentError.prototype instanceof Error)
  // A real error from the API carries a string code and message.
  const err = t.throws(() => new Embedding([1, 2]).similarity([1, 2, 3]))
  t.true(err instanceof VgentError)
  t.true(err instanceof Error)
  t.is(typeof err.code, 'string')
  t.is(typeof err.message, 'string')
  t.true(err.message.length > 0)
})

test('MemoryVectorBackend defaults to cosine', async (t) => {
  const store = new MemoryVectorBackend({ dimension: 4 })
  t.teardown(() => store.close())
  t.is(store.metric, 'cosine')
  t.is(store.dimension, 4)
  // Behaves as cosine: magnitude does not matter.
  await store.add('a', [1, 0, 0, 0])
  const [r] = await store.search([7, 0, 0, 0])
  approx(t, r.similarity, 1, 1e-6, 'cos')
  approx(t, r.distance, 0, 1e-6, 'cos distance')
})

test('MemoryVectorBackend accepts every DistanceMetric value', async (t) => {
  for (const metric of Object.values(DistanceMetric)) {
    const store = new MemoryVectorBackend({ dimension: 2, metric })
    t.is(store.metric, metric)
    await store.close()
  }
})

test('MemoryVectorBackend rejects an invalid dimension or metric', (t) => {
  for (const dimension of [0, -3, 1.5, NaN, '3']) {
    t.throws(() => new MemoryVectorBackend({ dimension }), { instanceOf: VgentError }, `dimension ${String(dimension)}`)
  }
  t.throws(() => new MemoryVectorBackend({ dimension: 3, metric: 'hamming' }), { instanceOf: VgentError }, 'unknown metric')
})

// ---- codec -------------------------------------------------------------------

test('serializeVector writes float32 little-endian, 4 bytes per value', (t) => {
  const one = serializeVector([1])
  t.true(Buffer.isBuffer(one))
  // 1.0f = 0x3F800000 → LE bytes 00 00 80 3f
  t.deepEqual([...one], [0x00, 0x00, 0x80, 0x3f])
  // -2.0f = 0xC0000000 → 00 00 00 c0; 0.5f = 0x3F000000 → 00 00 00 3f; 0 → 00 00 00 00
  t.deepEqual([...serializeVector([1, -2, 0.5, 0])], [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f, 0, 0, 0, 0])
  t.is(serializeVector(new Float32Array(7)).length, 28)
  // Same bytes from every input form.
  const expected = [...serializeVector([0.25, -8])]
  t.deepEqual([...serializeVector(new Float32Array([0.25, -8]))], expected)
  t.deepEqual([...serializeVector(new Embedding([0.25, -8]))], expected)
  // 0.25f = 0x3E800000; -8f = 0xC1000000
  t.deepEqual(expected, [0, 0, 0x80, 0x3e, 0, 0, 0, 0xc1])
})

test('serializeVector of a Float32Array view serializes only the view', (t) => {
  const backing = new Float32Array([9, 1, 2, 9])
  t.deepEqual([...serializeVector(backing.subarray(1, 3))], [...serializeVector([1, 2])])
})

test('deserializeVector round-trips serializeVector', (t) => {
  const rand = mulberry32(7)
  const values = Array.from({ length: 257 }, () => (rand() - 0.5) * 1e6)
  values.push(0, -0, 1e-40, 3.4e38, -3.4e38, Math.PI)
  const back = deserializeVector(serializeVector(values))
  t.true(back instanceof Float32Array)
  t.is(back.length, values.length)
  t.deepEqual(Array.from(back), Array.from(Float32Array.from(values)))
  t.true(Object.is(back[values.length - 5], -0), '-0 is preserved')
  t.deepEqual(Array.from(deserializeVector(serializeVector([]))), [])
})

test('deserializeVector reads little-endian bytes from any Uint8Array, even unaligned', (t) => {
  t.deepEqual(Array.from(deserializeVector(new Uint8Array([0, 0, 0x80, 0x3f]))), [1])
  // Offset 1 inside a larger buffer: not 4-byte aligned.
  const bytes = new Uint8Array(13)
  bytes.set([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f], 1)
  t.deepEqual(Array.from(deserializeVector(bytes.subarray(1))), [1, -2, 0.5])
  // A Buffer slice of a larger pooled buffer.
  const buf = Buffer.concat([Buffer.from([7, 7, 7]), serializeVector([3, -4])]).subarray(3)
  t.deepEqual(Array.from(deserializeVector(buf)), [3, -4])
})

// ---- Embedding -----------------------------------------------------------------

test('Embedding exposes a Float32Array vector, its dimension and a source', (t) => {
  const e = new Embedding([1, 2, 3])
  t.true(e.vector instanceof Float32Array)
  t.deepEqual(Array.from(e.vector), [1, 2, 3])
  t.is(e.dimension, 3)
  t.is(typeof e.source, 'string')
  t.is(new Embedding([4, 5, 6]).source, e.source, 'the default source is a fixed string')
  t.is(new Embedding(new Float32Array([1, 2]), { source: 'openai' }).source, 'openai')
  t.is(new Embedding(new Float32Array([1, 2])).dimension, 2)
  t.deepEqual(Array.from(new Embedding([0.1]).vector), [Math.fround(0.1)])
})

// q = (1, 0) vs v = (3, 4): cos 3/5 = 0.6, dot 3, ‖q−v‖₂ = √(4+16) = √20, ‖q−v‖₁ = 2+4 = 6
test('Embedding similarity / distance per metric (hand-checked)', (t) => {
  const q = new Embedding([1, 0])
  const v = [3, 4]
  const cases = [
    ['cosine', 0.6, 0.4],
    ['dot_product', 3, -3],
    ['euclidean', 1 / (1 + Math.sqrt(20)), Math.sqrt(20)],
    ['manhattan', 1 / 7, 6],
  ]
  for (const [metric, sim, dist] of cases) {
    approx(t, q.similarity(v, metric), sim, 1e-6, `${metric} similarity`)
    approx(t, q.distance(v, metric), dist, 1e-6, `${metric} distance`)
    // other may be an Embedding, number[] or Float32Array
    approx(t, q.similarity(new Embedding(v), metric), sim, 1e-6, `${metric} similarity (Embedding)`)
    approx(t, q.similarity(new Float32Array(v), metric), sim, 1e-6, `${metric} similarity (Float32Array)`)
    // symmetric
    approx(t, new Embedding(v).similarity(q, metric), sim, 1e-6, `${metric} symmetric`)
  }
  // default metric is cosine
  approx(t, q.similarity(v), 0.6, 1e-6, 'default similarity')
  approx(t, q.distance(v), 0.4, 1e-6, 'default distance')
  // DistanceMetric constants work as metric arguments
  approx(t, q.similarity(v, DistanceMetric.MANHATTAN), 1 / 7, 1e-6)
  // 3-D: (1,2,3)·(4,5,6) = 32; cos = 32/√(14·77); ‖diff‖₂ = √27; ‖diff‖₁ = 9
  const a = new Embedding([1, 2, 3])
  approx(t, a.similarity([4, 5, 6], 'dot_product'), 32, 1e-5)
  approx(t, a.similarity([4, 5, 6], 'cosine'), 32 / Math.sqrt(1078), 1e-6)
  approx(t, a.distance([4, 5, 6], 'euclidean'), Math.sqrt(27), 1e-5)
  approx(t, a.distance([4, 5, 6], 'manhattan'), 9, 1e-5)
})

test('Embedding similarity with a different dimension throws DIMENSION_MISMATCH', (t) => {
  const e = new Embedding([1, 2, 3])
  for (const other of [[1, 2], new Float32Array(4), new Embedding([1])]) {
    const err = t.throws(() => e.similarity(other), { instanceOf: VgentError })
    t.is(err?.code, 'DIMENSION_MISMATCH')
    const err2 = t.throws(() => e.distance(other, 'euclidean'), { instanceOf: VgentError })
    t.is(err2?.code, 'DIMENSION_MISMATCH')
  }
})

// ---- nativeInfo ------------------------------------------------------------------

test('nativeInfo() reports the ISA and version', (t) => {
  const info = nativeInfo()
  t.true(['avx512', 'avx2', 'sse', 'neon', 'scalar', 'typescript'].includes(info.isa), `isa ${info.isa}`)
  t.is(typeof info.version, 'string')
  t.regex(info.version, /^\d+\.\d+\.\d+/)
  t.deepEqual(nativeInfo().isa, info.isa, 'stable across calls')
})

// ---- large bulk load -------------------------------------------------------------

test('bulk addBatch of 20,000 × 64 from one Float32Array, then search', async (t) => {
  const n = 20_000
  const dim = 64
  const rand = mulberry32(20_000)
  const vectors = randomMatrix(rand, n, dim)
  const ids = Array.from({ length: n }, (_, i) => `row-${i}`)
  const metadata = Array.from({ length: n }, (_, i) => ({ i, even: i % 2 === 0 }))
  const store = new MemoryVectorBackend({ dimension: dim, metric: 'euclidean' })
  t.teardown(() => store.close())
  const returned = await store.addBatch({ ids, vectors, metadata })
  t.is(returned.length, n)
  t.is(returned[0], 'row-0')
  t.is(returned[n - 1], `row-${n - 1}`)
  t.is(await store.count(), n)
  // Spot-check rows, including the first and the last.
  for (const i of [0, 1, 777, 12_345, n - 1]) {
    const e = await store.get(`row-${i}`)
    t.deepEqual(Array.from(e.embedding.vector), Array.from(vectors.subarray(i * dim, (i + 1) * dim)), `row ${i}`)
    t.deepEqual(e.metadata, { i, even: i % 2 === 0 })
  }
  // Each row's own vector is its nearest neighbour at distance 0.
  for (const i of [3, 9_999, n - 1]) {
    const [top] = await store.search(vectors.subarray(i * dim, (i + 1) * dim), { limit: 1 })
    t.is(top.id, `row-${i}`)
    approx(t, top.distance, 0, 1e-6, 'self distance')
    approx(t, top.similarity, 1, 1e-6, 'self similarity')
  }
  // Random queries against a float64 brute force, with and without a filter.
  const rows = ids.map((id, i) => ({ id, vector: vectors.subarray(i * dim, (i + 1) * dim), metadata: metadata[i] }))
  const byId = new Map(rows.map((r) => [r.id, r]))
  const queries = randomMatrix(rand, 3, dim)
  for (let q = 0; q < 3; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim)
    for (const [filter, match] of [[undefined, undefined], [{ even: false }, (m) => m.even === false]]) {
      const got = await store.search(query, { limit: 25, filter })
      const want = bruteForce('euclidean', rows, query, { limit: 25, match })
      const trueSim = (id) => {
        const r = byId.get(id)
        return r && (!match || match(r.metadata)) ? refSimilarity('euclidean', query, r.vector) : undefined
      }
      compareToReference(t, got, want, trueSim, `q${q} ${JSON.stringify(filter)}`)
    }
  }
  // The caller's buffer is not retained.
  vectors.fill(0)
  const e = await store.get('row-5')
  t.notDeepEqual(Array.from(e.embedding.vector), new Array(dim).fill(0))
})

// ---- responsiveness ----------------------------------------------------------------

/** Counts setImmediate turns of the event loop while `promise` is pending. */
async function ticksWhilePending(promise) {
  let ticks = 0
  let done = false
  const spin = () => {
    if (done) return
    ticks++
    setImmediate(spin)
  }
  setImmediate(spin)
  let timerFired = 0
  const timer = setInterval(() => timerFired++, 0)
  try {
    const value = await promise
    return { value, ticks, timerFired }
  } finally {
    done = true
    clearInterval(timer)
  }
}

test('the event loop keeps turning while a big search runs (200,000 × 128)', async (t) => {
  const n = 200_000
  const dim = 128
  const rand = mulberry32(200_000)
  const store = new MemoryVectorBackend({ dimension: dim, metric: 'cosine' })
  t.teardown(() => store.close())
  // Load in 4 bulk chunks to bound peak memory in this process.
  const chunk = 50_000
  for (let c = 0; c < n / chunk; c++) {
    const vectors = randomMatrix(rand, chunk, dim)
    const ids = Array.from({ length: chunk }, (_, i) => `big-${c * chunk + i}`)
    await store.addBatch({ ids, vectors })
  }
  t.is(await store.count(), n)
  const query = randomMatrix(rand, 1, dim)

  const single = await ticksWhilePending(store.search(query, { limit: 10 }))
  t.is(single.value.length, 10)
  t.true(single.ticks > 0, `setImmediate callbacks ran while search was pending (ticks=${single.ticks}, timers=${single.timerFired})`)

  const queries = randomMatrix(rand, 8, dim)
  const batch = await ticksWhilePending(store.searchBatch(queries, { limit: 5 }))
  t.is(batch.value.length, 8)
  t.true(batch.ticks > 0, `setImmediate callbacks ran while searchBatch was pending (ticks=${batch.ticks})`)

  const filtered = await ticksWhilePending(store.search(query, { limit: 10, filter: { missing: { $exists: false } } }))
  t.is(filtered.value.length, 10)
  t.true(filtered.ticks > 0, `setImmediate callbacks ran while a filtered search was pending (ticks=${filtered.ticks})`)
  // The unfiltered and always-true-filtered searches agree.
  t.deepEqual(filtered.value.map((r) => r.id), single.value.map((r) => r.id))
})
