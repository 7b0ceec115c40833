// Search: hand-checked similarity / distance values per metric, ordering and
// tie-breaking, limit, threshold, filter-before-truncation, query forms and
// searchBatch.
import { Embedding } from 'vgent'
import { METRICS, approx } from './helpers.mjs'

const TOL = 1e-6

// ---------------------------------------------------------------------------
// 2-D fixture, query q = (1, 0):
//
//   id  vector    cos θ              a·b   ‖a−b‖₂              ‖a−b‖₁
//   a   (3, 4)    3/5 = 0.6          3     √(4+16) = √20       2+4 = 6
//   b   (0, 1)    0                  0     √(1+1)  = √2        1+1 = 2
//   c   (−1, 0)   −1                 −1    √4      = 2         2
//   d   (2, 0)    1                  2     √1      = 1         1
//   e   (1, 1)    1/√2 ≈ 0.7071068   1     √1      = 1         1
//
// similarity: cosine cos θ; dot a·b; euclidean 1/(1+‖·‖₂); manhattan 1/(1+‖·‖₁)
// distance:   cosine 1−cos θ; dot −a·b; euclidean ‖·‖₂; manhattan ‖·‖₁
// Order (similarity desc, ties by id asc):
//   cosine:    d 1, e 0.7071, a 0.6, b 0, c −1
//   dot:       a 3, d 2, e 1, b 0, c −1
//   euclidean: d 0.5, e 0.5 (tie → d, e), b 1/(1+√2) ≈ 0.4142, c 1/3, a 1/(1+√20) ≈ 0.1827
//   manhattan: d 0.5, e 0.5 (tie), b 1/3, c 1/3 (tie → b, c), a 1/7
// ---------------------------------------------------------------------------
const FIX2 = [
  ['a', [3, 4]],
  ['b', [0, 1]],
  ['c', [-1, 0]],
  ['d', [2, 0]],
  ['e', [1, 1]],
]
const Q2 = [1, 0]
const EXPECT2 = {
  cosine: [
    ['d', 1, 0],
    ['e', Math.SQRT1_2, 1 - Math.SQRT1_2],
    ['a', 0.6, 0.4],
    ['b', 0, 1],
    ['c', -1, 2],
  ],
  dot_product: [
    ['a', 3, -3],
    ['d', 2, -2],
    ['e', 1, -1],
    ['b', 0, -0],
    ['c', -1, 1],
  ],
  euclidean: [
    ['d', 0.5, 1],
    ['e', 0.5, 1],
    ['b', 1 / (1 + Math.SQRT2), Math.SQRT2],
    ['c', 1 / 3, 2],
    ['a', 1 / (1 + Math.sqrt(20)), Math.sqrt(20)],
  ],
  manhattan: [
    ['d', 0.5, 1],
    ['e', 0.5, 1],
    ['b', 1 / 3, 2],
    ['c', 1 / 3, 2],
    ['a', 1 / 7, 6],
  ],
}

// ---------------------------------------------------------------------------
// 3-D fixture, query q = (1, 2, 3), ‖q‖ = √14:
//
//   id  vector      a·b            ‖v‖   cos θ                        ‖a−b‖₂ (diff)         ‖a−b‖₁
//   u   (4, 5, 6)   4+10+18 = 32   √77   32/√1078 ≈ 0.9746318         (3,3,3) → √27         9
//   v   (−1, 0, 1)  −1+0+3 = 2     √2    2/√28 ≈ 0.3779645            (−2,−2,−2) → √12      6
//   w   (0, 0, 2)   6              2     6/(2√14) = 3/√14 ≈ 0.8017837 (−1,−2,−1) → √6       4
//
//   cosine:    u 0.9746, w 0.8018, v 0.3780
//   dot:       u 32, w 6, v 2
//   euclidean: w 1/(1+√6) ≈ 0.2899, v 1/(1+√12) ≈ 0.2240, u 1/(1+√27) ≈ 0.1614
//   manhattan: w 1/5 = 0.2, v 1/7 ≈ 0.1429, u 1/10 = 0.1
// ---------------------------------------------------------------------------
const FIX3 = [
  ['u', [4, 5, 6]],
  ['v', [-1, 0, 1]],
  ['w', [0, 0, 2]],
]
const Q3 = [1, 2, 3]
const EXPECT3 = {
  cosine: [
    ['u', 32 / Math.sqrt(1078), 1 - 32 / Math.sqrt(1078)],
    ['w', 3 / Math.sqrt(14), 1 - 3 / Math.sqrt(14)],
    ['v', 2 / Math.sqrt(28), 1 - 2 / Math.sqrt(28)],
  ],
  dot_product: [
    ['u', 32, -32],
    ['w', 6, -6],
    ['v', 2, -2],
  ],
  euclidean: [
    ['w', 1 / (1 + Math.sqrt(6)), Math.sqrt(6)],
    ['v', 1 / (1 + Math.sqrt(12)), Math.sqrt(12)],
    ['u', 1 / (1 + Math.sqrt(27)), Math.sqrt(27)],
  ],
  manhattan: [
    ['w', 0.2, 4],
    ['v', 1 / 7, 6],
    ['u', 0.1, 9],
  ],
}

function checkResults(t, results, expected, label) {
  t.deepEqual(results.map((r) => r.id), expected.map(([id]) => id), `${label}: order`)
  for (const [i, [id, sim, dist]] of expected.entries()) {
    const r = results[i]
    if (!r) continue
    approx(t, r.similarity, sim, TOL, `${label} ${id} similarity`)
    approx(t, r.distance, dist, TOL, `${label} ${id} distance`)
  }
}

async function seed(store, fixture, withMeta = false) {
  for (const [id, vector] of fixture) await store.add(id, vector, withMeta ? { id } : undefined)
}

export function registerSearchCases({ test, open }) {
  for (const metric of METRICS) {
    test(`hand-checked 2-D similarities and distances (${metric})`, async (t) => {
      const store = await open(t, { dimension: 2, metric })
      await seed(store, FIX2, true)
      const results = await store.search(Q2)
      checkResults(t, results, EXPECT2[metric], metric)
      for (const r of results) t.deepEqual(r.metadata, { id: r.id })
    })

    test(`hand-checked 3-D similarities and distances (${metric})`, async (t) => {
      const store = await open(t, { dimension: 3, metric })
      await seed(store, FIX3)
      checkResults(t, await store.search(Q3), EXPECT3[metric], metric)
    })

    test(`exact ties are broken by id ascending regardless of insertion order (${metric})`, async (t) => {
      const store = await open(t, { dimension: 2, metric })
      // Identical vectors, inserted in a scrambled order; plus one clearly
      // better and one clearly worse entry (under every metric, for q=(1,0)).
      for (const id of ['m', 'c', 'x', 'a', 'k']) await store.add(id, [1, 1])
      await store.add('zz-best', [4, 0]) // cos 1, dot 4; euclid/manhattan: ‖(3,0)‖ = 3 → worse!
      await store.add('aa-worst', [-3, -3])
      const results = await store.search([1, 0], { limit: 10 })
      const tied = results.filter((r) => ['m', 'c', 'x', 'a', 'k'].includes(r.id)).map((r) => r.id)
      t.deepEqual(tied, ['a', 'c', 'k', 'm', 'x'])
      // The tied block is contiguous.
      const first = results.findIndex((r) => r.id === 'a')
      t.deepEqual(results.slice(first, first + 5).map((r) => r.id), ['a', 'c', 'k', 'm', 'x'])
      t.is(results[results.length - 1].id, 'aa-worst')
      // A limit that cuts through the tie keeps the smallest ids.
      const cut = await store.search([1, 0], { limit: first + 2 })
      t.deepEqual(cut.slice(first).map((r) => r.id), ['a', 'c'])
    })

    test(`similarity and distance are consistent on every hit (${metric})`, async (t) => {
      const store = await open(t, { dimension: 3, metric })
      await store.addBatch([
        { id: 'p', vector: [0.5, -1.25, 2] },
        { id: 'q', vector: [-3, 0.25, 1] },
        { id: 'r', vector: [1, 1, 1] },
        { id: 's', vector: [2, -2, 0.5] },
      ])
      for (const r of await store.search([0.75, 0.5, -1])) {
        const { similarity: s, distance: d } = r
        if (metric === 'cosine') {
          approx(t, d, 1 - s, TOL, `${r.id} cosine distance = 1 − similarity`)
          t.true(s >= -1 - TOL && s <= 1 + TOL, `${r.id} cosine in [−1, 1]`)
        } else if (metric === 'dot_product') {
          approx(t, d, -s, TOL, `${r.id} dot distance = −similarity`)
        } else {
          approx(t, s, 1 / (1 + d), TOL, `${r.id} similarity = 1/(1+distance)`)
          t.true(d >= 0 && s > 0 && s <= 1, `${r.id} distance ≥ 0, similarity in (0, 1]`)
        }
      }
    })

    test(`threshold keeps similarity >= threshold, inclusive (${metric})`, async (t) => {
      const store = await open(t, { dimension: 2, metric })
      await seed(store, FIX2)
      const expected = EXPECT2[metric]
      // Threshold exactly at a representable similarity: 0.5 for euclid /
      // manhattan (d, e), 1 for dot (e) and cosine (d).
      const boundary = { cosine: 1, dot_product: 1, euclidean: 0.5, manhattan: 0.5 }[metric]
      const keep = (th) => expected.filter(([, s]) => s >= th).map(([id]) => id)
      const atBoundary = await store.search(Q2, { threshold: boundary })
      if (metric === 'cosine') {
        // cos θ = 1 may come out as 0.99999994 in float32: accept d or nothing
        // strictly-below-1 entries only.
        t.true(atBoundary.every((r) => r.id === 'd'))
      } else {
        t.deepEqual(atBoundary.map((r) => r.id), keep(boundary))
      }
      for (const th of [-0.5, 0.05, 0.3, 0.45, 0.65, 2.5]) {
        const got = await store.search(Q2, { threshold: th })
        t.deepEqual(got.map((r) => r.id), keep(th), `threshold ${th}`)
        for (const r of got) t.true(r.similarity >= th)
      }
      // threshold above every similarity → []
      t.deepEqual(await store.search(Q2, { threshold: 1000 }), [])
      // threshold and limit together: limit truncates after the threshold.
      const both = await store.search(Q2, { threshold: -0.5, limit: 2 })
      t.deepEqual(both.map((r) => r.id), keep(-0.5).slice(0, 2))
    })
  }

  test('threshold can be negative for dot_product and cosine', async (t) => {
    const dot = await open(t, { dimension: 2, metric: 'dot_product' })
    await seed(dot, FIX2)
    // dot: a 3, d 2, e 1, b 0, c −1 → threshold −1 keeps all (inclusive), −0.5 drops c
    t.deepEqual((await dot.search(Q2, { threshold: -1 })).map((r) => r.id), ['a', 'd', 'e', 'b', 'c'])
    t.deepEqual((await dot.search(Q2, { threshold: -0.5 })).map((r) => r.id), ['a', 'd', 'e', 'b'])
    const cos = await open(t, { dimension: 2, metric: 'cosine' })
    await seed(cos, FIX2)
    t.deepEqual((await cos.search(Q2, { threshold: -0.5 })).map((r) => r.id), ['d', 'e', 'a', 'b'])
  })

  test('cosine ignores magnitude; dot product does not', async (t) => {
    const cos = await open(t, { dimension: 2, metric: 'cosine' })
    const dot = await open(t, { dimension: 2, metric: 'dot_product' })
    for (const s of [cos, dot]) {
      await s.add('small', [1, 0])
      await s.add('huge', [1000, 0])
    }
    const c = await cos.search([0.001, 0])
    approx(t, c[0].similarity, 1, TOL, 'cosine small')
    approx(t, c[1].similarity, 1, TOL, 'cosine huge')
    // Query scaling must not change cosine results.
    const c2 = await cos.search([5, 0])
    t.deepEqual(c2.map((r) => r.id).sort(), ['huge', 'small'])
    approx(t, c2[0].similarity, 1, TOL)
    const d = await dot.search([2, 0])
    t.deepEqual(d.map((r) => r.id), ['huge', 'small'])
    approx(t, d[0].similarity, 2000, 1e-3, 'dot huge')
    approx(t, d[1].similarity, 2, TOL, 'dot small')
  })

  test('default limit is 10; limit caps the result count', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    // 15 points on a line; query at 0 → order p00, p01, ...
    await store.addBatch(Array.from({ length: 15 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, vector: [i, 0] })))
    const all = Array.from({ length: 15 }, (_, i) => `p${String(i).padStart(2, '0')}`)
    t.deepEqual((await store.search([0, 0])).map((r) => r.id), all.slice(0, 10))
    t.deepEqual((await store.search([0, 0], {})).map((r) => r.id), all.slice(0, 10))
    t.deepEqual((await store.search([0, 0], { limit: 1 })).map((r) => r.id), ['p00'])
    t.deepEqual((await store.search([0, 0], { limit: 3 })).map((r) => r.id), all.slice(0, 3))
    t.deepEqual((await store.search([0, 0], { limit: 15 })).map((r) => r.id), all)
    t.deepEqual((await store.search([0, 0], { limit: 1000 })).map((r) => r.id), all)
  })

  test('search on an empty store resolves to []', async (t) => {
    for (const metric of METRICS) {
      const store = await open(t, { dimension: 4, metric })
      t.deepEqual(await store.search([1, 2, 3, 4]), [])
      t.deepEqual(await store.search([1, 2, 3, 4], { filter: { a: 1 }, threshold: 0, limit: 5 }), [])
    }
  })

  test('a result carries exactly id, similarity, distance, metadata', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 2], { k: 'v' })
    const [r] = await store.search([1, 2])
    t.is(typeof r.id, 'string')
    t.is(typeof r.similarity, 'number')
    t.is(typeof r.distance, 'number')
    t.deepEqual(r.metadata, { k: 'v' })
    for (const key of ['id', 'similarity', 'distance', 'metadata']) t.true(key in r, key)
  })

  test('query may be number[], Float32Array or Embedding with identical results', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    await seed(store, FIX3)
    const a = await store.search([1, 2, 3])
    const b = await store.search(new Float32Array([1, 2, 3]))
    const c = await store.search(new Embedding([1, 2, 3]))
    const d = await store.search(new Float32Array([0, 1, 2, 3, 0]).subarray(1, 4))
    t.deepEqual(b, a)
    t.deepEqual(c, a)
    t.deepEqual(d, a)
    t.deepEqual(a.map((r) => r.id), ['w', 'v', 'u'])
  })

  test('search does not mutate the query', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'cosine' })
    await seed(store, FIX3)
    const q = new Float32Array([1, 2, 3])
    const arr = [1, 2, 3]
    await store.search(q)
    await store.search(arr)
    await store.searchBatch([q, arr])
    t.deepEqual(Array.from(q), [1, 2, 3])
    t.deepEqual(arr, [1, 2, 3])
  })

  test('filtering happens before truncation', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    // 40 points; the 30 nearest to the query are 'near', only the 10 farthest
    // are 'far'. A filtered search with limit 5 must still return 5 'far'.
    const entries = []
    for (let i = 0; i < 40; i++) {
      entries.push({ id: `n${String(i).padStart(2, '0')}`, vector: [i, 0], metadata: { group: i < 30 ? 'near' : 'far', i } })
    }
    await store.addBatch(entries)
    const got = await store.search([0, 0], { limit: 5, filter: { group: 'far' } })
    t.deepEqual(got.map((r) => r.id), ['n30', 'n31', 'n32', 'n33', 'n34'])
    for (const r of got) t.is(r.metadata.group, 'far')
    // Filter matching fewer than limit returns all matches.
    const few = await store.search([0, 0], { limit: 20, filter: { group: 'far' } })
    t.is(few.length, 10)
    // Filter + threshold + limit: far items with similarity ≥ 1/(1+35) → n30..n35.
    const thr = await store.search([0, 0], { limit: 4, filter: { group: 'far' }, threshold: 1 / 36 })
    t.deepEqual(thr.map((r) => r.id), ['n30', 'n31', 'n32', 'n33'])
    const thr2 = await store.search([0, 0], { limit: 40, filter: { group: 'far' }, threshold: 1 / 36 })
    t.deepEqual(thr2.map((r) => r.id), ['n30', 'n31', 'n32', 'n33', 'n34', 'n35'])
  })

  test('search reflects upserts and removals', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.add('a', [0, 0])
    await store.add('b', [10, 10])
    t.is((await store.search([9, 9], { limit: 1 }))[0].id, 'b')
    await store.add('a', [9, 9])
    t.is((await store.search([9, 9], { limit: 1 }))[0].id, 'a')
    await store.remove('a')
    t.deepEqual((await store.search([9, 9])).map((r) => r.id), ['b'])
  })

  for (const metric of METRICS) {
    test(`searchBatch equals per-query search, in both input forms (${metric})`, async (t) => {
      const store = await open(t, { dimension: 2, metric })
      await seed(store, FIX2, true)
      await store.add('f', [-2, 5], { id: 'f' })
      const queries = [[1, 0], [0, 1], [-1, -1], [3, 0.5]]
      const single = []
      for (const q of queries) single.push(await store.search(q, { limit: 3 }))
      const asArrays = await store.searchBatch(queries, { limit: 3 })
      const asMixed = await store.searchBatch(
        [queries[0], new Float32Array(queries[1]), new Embedding(queries[2]), queries[3]],
        { limit: 3 },
      )
      const flat = await store.searchBatch(new Float32Array(queries.flat()), { limit: 3 })
      t.deepEqual(asArrays, single)
      t.deepEqual(asMixed, single)
      t.deepEqual(flat, single)
      t.is(flat.length, 4)
      // Options (filter, threshold) apply to every query.
      const opts = { limit: 10, filter: { id: { $ne: 'd' } }, threshold: 0.2 }
      const singleF = []
      for (const q of queries) singleF.push(await store.search(q, opts))
      t.deepEqual(await store.searchBatch(queries, opts), singleF)
      t.deepEqual(await store.searchBatch(new Float32Array(queries.flat()), opts), singleF)
      for (const rs of singleF) for (const r of rs) t.not(r.id, 'd')
    })
  }

  test('searchBatch default limit is 10 and empty batches give []', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.addBatch(Array.from({ length: 12 }, (_, i) => ({ id: `x${i}`, vector: [i, i] })))
    const res = await store.searchBatch([[0, 0], [11, 11]])
    t.is(res.length, 2)
    t.is(res[0].length, 10)
    t.is(res[1].length, 10)
    t.is(res[0][0].id, 'x0')
    t.is(res[1][0].id, 'x11')
    t.deepEqual(await store.searchBatch([]), [])
    t.deepEqual(await store.searchBatch(new Float32Array(0)), [])
  })

  test('searchBatch results carry metadata copies per query', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0], { tags: ['x'] })
    const [r1, r2] = await store.searchBatch([[1, 0], [1, 0.1]])
    t.deepEqual(r1[0].metadata, { tags: ['x'] })
    r1[0].metadata.tags.push('y')
    t.deepEqual(r2[0].metadata, { tags: ['x'] })
    t.deepEqual((await store.get('a')).metadata, { tags: ['x'] })
  })
}
