// Randomized cross-checks against a float64 brute force over the same
// float32 values: search (limit 10 / 50, with and without filters, with a
// threshold), searchBatch in both forms, and a random add/upsert/remove churn
// compared with a plain Map model.
import {
  METRICS,
  bruteForce,
  closeEnough,
  compareToReference,
  mulberry32,
  randomMatrix,
  refSimilarity,
} from './helpers.mjs'

const N = 2000
const DIM = 48
const QUERIES = 5

const FILTERS = [
  ['no filter', undefined, undefined],
  ['{ bucket: 2 }', { bucket: 2 }, (m) => m.bucket === 2],
  [
    '{ parity: "odd", bucket: { $in: [1, 3] } }',
    { parity: 'odd', bucket: { $in: [1, 3] } },
    (m) => m.parity === 'odd' && (m.bucket === 1 || m.bucket === 3),
  ],
  ['{ tags: "t7" }', { tags: 't7' }, (m) => m.tags.includes('t7')],
]

function buildRows(seed) {
  const rand = mulberry32(seed)
  const matrix = randomMatrix(rand, N, DIM)
  const rows = []
  for (let i = 0; i < N; i++) {
    rows.push({
      id: `v${i}`,
      vector: matrix.subarray(i * DIM, (i + 1) * DIM),
      metadata: {
        bucket: i % 5,
        parity: i % 2 ? 'odd' : 'even',
        tags: [`t${i % 11}`, `t${(i * 7) % 13}`],
      },
    })
  }
  const queries = randomMatrix(rand, QUERIES, DIM)
  return { matrix, rows, queries }
}

/** Loads rows: the first half through bulk addBatch, the rest as entries. */
async function load(store, { matrix, rows }) {
  const half = N / 2
  const ids1 = await store.addBatch({
    ids: rows.slice(0, half).map((r) => r.id),
    vectors: matrix.subarray(0, half * DIM),
    metadata: rows.slice(0, half).map((r) => r.metadata),
  })
  const ids2 = await store.addBatch(rows.slice(half).map((r) => ({ id: r.id, vector: Array.from(r.vector), metadata: r.metadata })))
  return [...ids1, ...ids2]
}

function sameResults(t, got, want, label) {
  t.is(got.length, want.length, `${label}: length`)
  t.deepEqual(got.map((r) => r.id), want.map((r) => r.id), `${label}: ids`)
  const bad = got.filter((r, i) => want[i] && !closeEnough(r.similarity, want[i].similarity, 1e-6))
  t.is(bad.length, 0, `${label}: similarities`)
}

export function registerRandomCases({ test, open }) {
  for (const [mi, metric] of METRICS.entries()) {
    test(`random ${N}×${DIM}: search matches a float64 brute force (${metric})`, async (t) => {
      const data = buildRows(0x5eed + mi)
      const store = await open(t, { dimension: DIM, metric })
      const ids = await load(store, data)
      t.deepEqual(ids, data.rows.map((r) => r.id))
      t.is(await store.count(), N)
      const byId = new Map(data.rows.map((r) => [r.id, r]))
      for (let q = 0; q < QUERIES; q++) {
        const query = data.queries.subarray(q * DIM, (q + 1) * DIM)
        for (const [fname, filter, match] of FILTERS) {
          const trueSim = (id) => {
            const row = byId.get(id)
            if (!row || (match && !match(row.metadata))) return undefined
            return refSimilarity(metric, query, row.vector)
          }
          for (const limit of [10, 50]) {
            const got = await store.search(query, { limit, filter })
            const want = bruteForce(metric, data.rows, query, { limit, match })
            compareToReference(t, got, want, trueSim, `${metric} q${q} ${fname} limit ${limit}`)
          }
        }
      }
    })

    test(`random ${N}×${DIM}: threshold matches a float64 brute force (${metric})`, async (t) => {
      const data = buildRows(0xbeef + mi)
      const store = await open(t, { dimension: DIM, metric })
      await load(store, data)
      const byId = new Map(data.rows.map((r) => [r.id, r]))
      for (let q = 0; q < QUERIES; q++) {
        const query = data.queries.subarray(q * DIM, (q + 1) * DIM)
        const ranked = bruteForce(metric, data.rows, query, { limit: N })
        // Put the threshold in a clear gap near rank 30, so float32 rounding
        // cannot move any entry across it.
        let k = 30
        while (k < N - 1 && !(ranked[k - 1].similarity - ranked[k].similarity > 1e-4 * Math.max(1, Math.abs(ranked[k].similarity)))) k++
        const threshold = (ranked[k - 1].similarity + ranked[k].similarity) / 2
        const got = await store.search(query, { limit: 100, threshold })
        const want = bruteForce(metric, data.rows, query, { limit: 100, threshold })
        t.is(want.length, Math.min(k, 100))
        compareToReference(t, got, want, (id) => refSimilarity(metric, query, byId.get(id).vector), `${metric} q${q} threshold ${threshold}`)
        for (const r of got) t.true(r.similarity >= threshold, `${r.id} ${r.similarity} >= ${threshold}`)
      }
    })

    test(`random ${N}×${DIM}: searchBatch equals per-query search in both forms (${metric})`, async (t) => {
      const data = buildRows(0xface + mi)
      const store = await open(t, { dimension: DIM, metric })
      await load(store, data)
      const list = []
      for (let q = 0; q < QUERIES; q++) list.push(data.queries.subarray(q * DIM, (q + 1) * DIM))
      for (const [fname, filter] of FILTERS.slice(0, 2)) {
        for (const limit of [10, 50]) {
          const single = []
          for (const query of list) single.push(await store.search(query, { limit, filter }))
          const asList = await store.searchBatch(list, { limit, filter })
          const asArrays = await store.searchBatch(list.map((v) => Array.from(v)), { limit, filter })
          const flat = await store.searchBatch(data.queries, { limit, filter })
          for (const [form, batch] of [['Float32Array[]', asList], ['number[][]', asArrays], ['flat', flat]]) {
            t.is(batch.length, QUERIES, `${form} length`)
            for (let q = 0; q < QUERIES; q++) sameResults(t, batch[q] ?? [], single[q], `${form} ${fname} limit ${limit} q${q}`)
          }
        }
      }
    })
  }

  for (const metric of ['euclidean', 'cosine']) {
    test(`random churn: add / upsert / addBatch / remove / clear agree with a Map model (${metric})`, async (t) => {
      const dim = 8
      const rand = mulberry32(metric === 'cosine' ? 1234 : 4321)
      const store = await open(t, { dimension: dim, metric })
      const model = new Map() // id -> { vector: Float32Array, metadata }
      const randomVector = () => randomMatrix(rand, 1, dim)
      const randomId = () => `id${Math.floor(rand() * 60)}`
      const randomMeta = () => (rand() < 0.3 ? undefined : { g: Math.floor(rand() * 4), s: rand() < 0.5 ? 'x' : 'y' })

      const check = async (label) => {
        t.is(await store.count(), model.size, `${label}: count`)
        for (let i = 0; i < 60; i++) {
          const id = `id${i}`
          const entry = await store.get(id)
          const m = model.get(id)
          if (!m) {
            t.is(entry, null, `${label}: ${id} absent`)
            t.false(await store.exists(id))
          } else {
            t.truthy(entry, `${label}: ${id} present`)
            if (!entry) continue
            t.deepEqual(Array.from(entry.embedding.vector), Array.from(m.vector), `${label}: ${id} vector`)
            t.deepEqual(entry.metadata, m.metadata ?? {}, `${label}: ${id} metadata`)
          }
        }
        const rows = [...model].map(([id, { vector, metadata }]) => ({ id, vector, metadata: metadata ?? {} }))
        const byId = new Map(rows.map((r) => [r.id, r]))
        const query = randomVector()
        for (const [filter, match] of [[undefined, undefined], [{ s: 'x' }, (md) => md.s === 'x']]) {
          const got = await store.search(query, { limit: 20, filter })
          const want = bruteForce(metric, rows, query, { limit: 20, match })
          const trueSim = (id) => {
            const row = byId.get(id)
            if (!row || (match && !match(row.metadata))) return undefined
            return refSimilarity(metric, query, row.vector)
          }
          compareToReference(t, got, want, trueSim, `${label}: search ${JSON.stringify(filter)}`)
        }
      }

      for (let op = 1; op <= 600; op++) {
        const r = rand()
        if (r < 0.45) {
          const id = randomId()
          const vector = randomVector()
          const metadata = randomMeta()
          t.is(await store.add(id, Array.from(vector), metadata), id)
          model.set(id, { vector, metadata })
        } else if (r < 0.75) {
          const id = randomId()
          t.is(await store.remove(id), model.delete(id), `op ${op}: remove ${id}`)
        } else if (r < 0.9) {
          const n = 1 + Math.floor(rand() * 5)
          const entries = []
          for (let i = 0; i < n; i++) entries.push({ id: randomId(), vector: randomVector(), metadata: randomMeta() })
          await store.addBatch(entries.map((e) => ({ ...e, vector: Array.from(e.vector) })))
          for (const e of entries) model.set(e.id, { vector: e.vector, metadata: e.metadata })
        } else if (r < 0.995) {
          const n = 1 + Math.floor(rand() * 5)
          const ids = []
          const vectors = new Float32Array(n * dim)
          const metadata = []
          for (let i = 0; i < n; i++) {
            const id = randomId()
            const vector = randomVector()
            const md = randomMeta() ?? {}
            ids.push(id)
            vectors.set(vector, i * dim)
            metadata.push(md)
            model.set(id, { vector, metadata: md })
          }
          await store.addBatch({ ids, vectors, metadata })
        } else {
          t.is(await store.clear(), model.size, `op ${op}: clear`)
          model.clear()
        }
        if (op % 150 === 0) await check(`after op ${op}`)
      }
    })
  }
}
