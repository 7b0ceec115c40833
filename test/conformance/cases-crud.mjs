// CRUD: add / addBatch / get / exists / remove / clear / count, upsert
// semantics, input forms, metadata round trip, and copy isolation.
import { Embedding } from 'vgent'
import { METRICS, f32 } from './helpers.mjs'

export function registerCrudCases({ test, open }) {
  test('store exposes dimension and metric', async (t) => {
    for (const metric of METRICS) {
      const store = await open(t, { dimension: 3, metric })
      t.is(store.dimension, 3)
      t.is(store.metric, metric)
    }
  })

  test('a new store is empty', async (t) => {
    const store = await open(t, { dimension: 3 })
    t.is(await store.count(), 0)
    t.false(await store.exists('a'))
    t.is(await store.get('a'), null)
    t.deepEqual(await store.search([1, 0, 0]), [])
  })

  test('stores created by create() are isolated from each other', async (t) => {
    const s1 = await open(t, { dimension: 2 })
    const s2 = await open(t, { dimension: 2 })
    await s1.add('x', [1, 2])
    t.is(await s1.count(), 1)
    t.is(await s2.count(), 0)
    t.false(await s2.exists('x'))
  })

  test('add resolves to the id; get returns id, embedding and metadata', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    t.is(await store.add('a', [0.1, -2, 3.5], { kind: 'doc' }), 'a')
    t.is(await store.count(), 1)
    t.true(await store.exists('a'))
    const entry = await store.get('a')
    t.is(entry.id, 'a')
    t.true(entry.embedding instanceof Embedding)
    t.true(entry.embedding.vector instanceof Float32Array)
    t.is(entry.embedding.dimension, 3)
    t.deepEqual(Array.from(entry.embedding.vector), f32([0.1, -2, 3.5]))
    t.deepEqual(entry.metadata, { kind: 'doc' })
  })

  test('metadata defaults to {} when none is given', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0])
    await store.addBatch([{ id: 'b', vector: [0, 1] }])
    await store.addBatch({ ids: ['c'], vectors: new Float32Array([1, 1]) })
    for (const id of ['a', 'b', 'c']) {
      t.deepEqual((await store.get(id)).metadata, {}, id)
    }
    const results = await store.search([1, 1])
    t.is(results.length, 3)
    for (const r of results) t.deepEqual(r.metadata, {}, r.id)
  })

  test('add accepts number[], Float32Array and Embedding', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'dot_product' })
    await store.add('arr', [1, 2, 3])
    await store.add('f32', new Float32Array([4, 5, 6]))
    await store.add('emb', new Embedding([7, 8, 9]))
    t.deepEqual(Array.from((await store.get('arr')).embedding.vector), [1, 2, 3])
    t.deepEqual(Array.from((await store.get('f32')).embedding.vector), [4, 5, 6])
    t.deepEqual(Array.from((await store.get('emb')).embedding.vector), [7, 8, 9])
    t.is(await store.count(), 3)
  })

  test('add accepts a Float32Array view with a non-zero offset', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    const backing = new Float32Array([9, 9, 1, 2, 9])
    await store.add('v', backing.subarray(2, 4))
    t.deepEqual(Array.from((await store.get('v')).embedding.vector), [1, 2])
  })

  test('vectors are stored as float32', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.add('p', [0.1, 1 / 3])
    t.deepEqual(Array.from((await store.get('p')).embedding.vector), [Math.fround(0.1), Math.fround(1 / 3)])
  })

  test('add of an existing id replaces vector and metadata (no merge)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.add('a', [1, 2], { old: 'yes', shared: 1 })
    await store.add('b', [5, 5])
    t.is(await store.add('a', [3, 4], { shared: 2 }), 'a')
    t.is(await store.count(), 2)
    const a = await store.get('a')
    t.deepEqual(Array.from(a.embedding.vector), [3, 4])
    t.deepEqual(a.metadata, { shared: 2 })
    // Replacing without metadata leaves {}.
    await store.add('a', [6, 7])
    t.deepEqual((await store.get('a')).metadata, {})
    // Search sees the new vector only: query (6,7) finds 'a' at distance 0.
    const [top] = await store.search([6, 7], { limit: 1 })
    t.is(top.id, 'a')
    t.true(Math.abs(top.distance) < 1e-6)
    // The other entry is untouched.
    t.deepEqual(Array.from((await store.get('b')).embedding.vector), [5, 5])
  })

  test('metadata of every allowed type round-trips exactly', async (t) => {
    const store = await open(t, { dimension: 2 })
    const metadata = {
      s: 'hello',
      empty: '',
      unicode: 'naïve — 日本語 😀',
      int: 42,
      neg: -7,
      float: 0.1,
      big: 1e300,
      zero: 0,
      yes: true,
      no: false,
      tags: ['a', 'b', 'a'],
      none: [],
      'key with spaces': 'ok',
    }
    await store.add('m', [1, 0], metadata)
    t.deepEqual((await store.get('m')).metadata, metadata)
    const [hit] = await store.search([1, 0], { limit: 1 })
    t.deepEqual(hit.metadata, metadata)
  })

  test('metadata keys named like Object.prototype members round-trip and filter like any key', async (t) => {
    const store = await open(t, { dimension: 2 })
    // JSON.parse creates own properties even for "__proto__".
    const metadata = JSON.parse('{"__proto__":"p","constructor":"c","toString":["s"],"hasOwnProperty":true,"valueOf":1}')
    await store.add('m', [1, 0], metadata)
    await store.add('plain', [0, 1], { other: 'x' })
    const got = (await store.get('m')).metadata
    t.deepEqual(Object.keys(got).sort(), ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'])
    t.true(Object.hasOwn(got, '__proto__'), '__proto__ kept as an own key')
    t.is(Object.getOwnPropertyDescriptor(got, '__proto__')?.value, 'p')
    t.is(got.constructor, 'c')
    t.deepEqual(got.toString, ['s'])
    t.is(got.hasOwnProperty, true)
    t.is(got.valueOf, 1)
    const ids = async (filter) => (await store.search([1, 1], { filter })).map((r) => r.id).sort()
    t.deepEqual(await ids(JSON.parse('{"__proto__":"p"}')), ['m'])
    t.deepEqual(await ids({ constructor: 'c' }), ['m'])
    t.deepEqual(await ids({ toString: 's' }), ['m'])
    t.deepEqual(await ids({ valueOf: { $gte: 1 } }), ['m'])
    // Inherited names are not keys of an entry that does not have them.
    t.deepEqual(await ids({ constructor: { $exists: true } }), ['m'])
    t.deepEqual(await ids({ toString: { $exists: false } }), ['plain'])
  })

  test('ids are case-sensitive, unicode-safe, and may contain any characters', async (t) => {
    const store = await open(t, { dimension: 2 })
    const ids = ['a', 'A', ' a', 'a ', 'ä', 'a/b:c?d#e', '日本', '😀', '"quoted"', 'line\nbreak', '{"json":1}']
    for (const [i, id] of ids.entries()) await store.add(id, [1, i + 1], { i })
    t.is(await store.count(), ids.length)
    for (const [i, id] of ids.entries()) {
      const e = await store.get(id)
      t.is(e.id, id)
      t.deepEqual(e.metadata, { i })
    }
    const results = await store.search([1, 1], { limit: 100 })
    t.deepEqual(results.map((r) => r.id).sort(), [...ids].sort())
  })

  test('an id of exactly 1024 UTF-8 bytes is accepted', async (t) => {
    const store = await open(t, { dimension: 2 })
    const ascii = 'a'.repeat(1024)
    const twoByte = 'é'.repeat(512) // 2 bytes each
    const fourByte = '😀'.repeat(256) // 4 bytes each
    const threeByte = '€'.repeat(341) + 'x' // 3*341 + 1 = 1024
    for (const id of [ascii, twoByte, fourByte, threeByte]) {
      t.is(Buffer.byteLength(id, 'utf8'), 1024)
      t.is(await store.add(id, [1, 2]), id)
      t.true(await store.exists(id))
      t.is((await store.get(id)).id, id)
    }
    t.is(await store.count(), 4)
  })

  test('get and exists on a missing id', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0])
    t.is(await store.get('b'), null)
    t.false(await store.exists('b'))
    t.true(await store.exists('a'))
  })

  test('remove returns true once, then false; the entry is gone everywhere', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0], { k: 'a' })
    await store.add('b', [0, 1], { k: 'b' })
    await store.add('c', [1, 1], { k: 'c' })
    t.true(await store.remove('a'))
    t.false(await store.remove('a'))
    t.false(await store.remove('never'))
    t.is(await store.count(), 2)
    t.false(await store.exists('a'))
    t.is(await store.get('a'), null)
    const results = await store.search([1, 0], { limit: 10 })
    t.deepEqual(results.map((r) => r.id).sort(), ['b', 'c'])
    // The remaining entries keep their own vectors and metadata.
    t.deepEqual(Array.from((await store.get('b')).embedding.vector), [0, 1])
    t.deepEqual((await store.get('c')).metadata, { k: 'c' })
    // The id can be added again afterwards.
    await store.add('a', [2, 0])
    t.is(await store.count(), 3)
    t.deepEqual((await store.get('a')).metadata, {})
  })

  test('removing entries keeps the rest consistent (including the last-inserted one)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    for (let i = 0; i < 10; i++) await store.add(`e${i}`, [i, -i], { i })
    // Remove the first, the last and one in the middle.
    for (const id of ['e0', 'e9', 'e4']) t.true(await store.remove(id))
    t.is(await store.count(), 7)
    for (let i = 0; i < 10; i++) {
      const e = await store.get(`e${i}`)
      if ([0, 9, 4].includes(i)) {
        t.is(e, null)
      } else {
        t.deepEqual(Array.from(e.embedding.vector), [i, -i], `e${i} vector`)
        t.deepEqual(e.metadata, { i }, `e${i} metadata`)
      }
    }
    // Exact-match search still finds each survivor at distance 0.
    for (const i of [1, 2, 3, 5, 6, 7, 8]) {
      const [top] = await store.search([i, -i], { limit: 1 })
      t.is(top.id, `e${i}`)
      t.deepEqual(top.metadata, { i })
    }
  })

  test('clear returns the number removed and empties the store', async (t) => {
    const store = await open(t, { dimension: 2 })
    t.is(await store.clear(), 0)
    await store.addBatch([
      { id: 'a', vector: [1, 0] },
      { id: 'b', vector: [0, 1] },
      { id: 'c', vector: [1, 1] },
    ])
    t.is(await store.clear(), 3)
    t.is(await store.count(), 0)
    t.false(await store.exists('a'))
    t.is(await store.get('b'), null)
    t.deepEqual(await store.search([1, 0]), [])
    t.is(await store.clear(), 0)
    // Still usable after clear.
    await store.add('d', [1, 2])
    t.is(await store.count(), 1)
    t.is((await store.search([1, 2]))[0].id, 'd')
  })

  test('addBatch with an array of entries resolves to the ids in order', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    const ids = await store.addBatch([
      { id: 'z', vector: [1, 2, 3], metadata: { n: 1 } },
      { id: 'a', vector: new Float32Array([4, 5, 6]) },
      { id: 'm', vector: new Embedding([7, 8, 9]), metadata: { tags: ['x'] } },
    ])
    t.deepEqual(ids, ['z', 'a', 'm'])
    t.is(await store.count(), 3)
    t.deepEqual(Array.from((await store.get('z')).embedding.vector), [1, 2, 3])
    t.deepEqual((await store.get('z')).metadata, { n: 1 })
    t.deepEqual(Array.from((await store.get('a')).embedding.vector), [4, 5, 6])
    t.deepEqual((await store.get('a')).metadata, {})
    t.deepEqual(Array.from((await store.get('m')).embedding.vector), [7, 8, 9])
    t.deepEqual((await store.get('m')).metadata, { tags: ['x'] })
  })

  test('addBatch accepts any iterable (generator, Set)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    function* gen() {
      for (let i = 0; i < 5; i++) yield { id: `g${i}`, vector: [i, i + 1], metadata: { i } }
    }
    t.deepEqual(await store.addBatch(gen()), ['g0', 'g1', 'g2', 'g3', 'g4'])
    const set = new Set([{ id: 's0', vector: [9, 9] }, { id: 's1', vector: [8, 8] }])
    t.deepEqual(await store.addBatch(set), ['s0', 's1'])
    t.is(await store.count(), 7)
    t.deepEqual(Array.from((await store.get('g3')).embedding.vector), [3, 4])
    t.deepEqual((await store.get('g3')).metadata, { i: 3 })
    t.deepEqual(Array.from((await store.get('s1')).embedding.vector), [8, 8])
  })

  test('addBatch of an empty batch stores nothing', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0])
    t.deepEqual(await store.addBatch([]), [])
    t.deepEqual(await store.addBatch({ ids: [], vectors: new Float32Array(0) }), [])
    t.is(await store.count(), 1)
  })

  test('bulk addBatch reads rows from one row-major Float32Array', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    const vectors = new Float32Array([
      1, 2, 3, // row 0 -> r0
      4, 5, 6, // row 1 -> r1
      -1, 0, 1, // row 2 -> r2
    ])
    const ids = await store.addBatch({
      ids: ['r0', 'r1', 'r2'],
      vectors,
      metadata: [{ row: 0 }, { row: 1, tags: ['t'] }, {}],
    })
    t.deepEqual(ids, ['r0', 'r1', 'r2'])
    t.is(await store.count(), 3)
    t.deepEqual(Array.from((await store.get('r0')).embedding.vector), [1, 2, 3])
    t.deepEqual(Array.from((await store.get('r1')).embedding.vector), [4, 5, 6])
    t.deepEqual(Array.from((await store.get('r2')).embedding.vector), [-1, 0, 1])
    t.deepEqual((await store.get('r0')).metadata, { row: 0 })
    t.deepEqual((await store.get('r1')).metadata, { row: 1, tags: ['t'] })
    t.deepEqual((await store.get('r2')).metadata, {})
    const [top] = await store.search([4, 5, 6], { limit: 1 })
    t.is(top.id, 'r1')
  })

  test('bulk addBatch reads a Float32Array view with a non-zero offset', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    const backing = new Float32Array([99, 99, 1, 2, 3, 4, 99])
    await store.addBatch({ ids: ['a', 'b'], vectors: backing.subarray(2, 6) })
    t.deepEqual(Array.from((await store.get('a')).embedding.vector), [1, 2])
    t.deepEqual(Array.from((await store.get('b')).embedding.vector), [3, 4])
  })

  test('addBatch upserts existing ids', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.add('a', [1, 1], { v: 1 })
    await store.add('b', [2, 2], { v: 2 })
    await store.addBatch([{ id: 'a', vector: [10, 10], metadata: { v: 10 } }, { id: 'c', vector: [3, 3] }])
    await store.addBatch({ ids: ['b'], vectors: new Float32Array([20, 20]) })
    t.is(await store.count(), 3)
    t.deepEqual(Array.from((await store.get('a')).embedding.vector), [10, 10])
    t.deepEqual((await store.get('a')).metadata, { v: 10 })
    t.deepEqual(Array.from((await store.get('b')).embedding.vector), [20, 20])
    t.deepEqual((await store.get('b')).metadata, {})
  })

  test('duplicate ids inside one batch: the last one wins (entry form)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.addBatch([
      { id: 'd', vector: [1, 1], metadata: { n: 1 } },
      { id: 'x', vector: [5, 5] },
      { id: 'd', vector: [2, 2], metadata: { n: 2 } },
      { id: 'd', vector: [3, 3], metadata: { n: 3 } },
    ])
    t.is(await store.count(), 2)
    const d = await store.get('d')
    t.deepEqual(Array.from(d.embedding.vector), [3, 3])
    t.deepEqual(d.metadata, { n: 3 })
    const results = await store.search([3, 3], { limit: 10 })
    t.deepEqual(results.map((r) => r.id), ['d', 'x'])
  })

  test('duplicate ids inside one batch: the last one wins (bulk form)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.addBatch({
      ids: ['d', 'x', 'd'],
      vectors: new Float32Array([1, 1, 5, 5, 2, 2]),
      metadata: [{ n: 1 }, {}, { n: 2 }],
    })
    t.is(await store.count(), 2)
    const d = await store.get('d')
    t.deepEqual(Array.from(d.embedding.vector), [2, 2])
    t.deepEqual(d.metadata, { n: 2 })
    const results = await store.search([2, 2], { limit: 10 })
    t.deepEqual(results.map((r) => r.id), ['d', 'x'])
  })

  test('count tracks adds, upserts, removes and clears', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0])
    await store.add('b', [0, 1])
    await store.add('a', [1, 1])
    t.is(await store.count(), 2)
    await store.addBatch([{ id: 'c', vector: [1, 2] }, { id: 'b', vector: [2, 1] }])
    t.is(await store.count(), 3)
    await store.remove('b')
    t.is(await store.count(), 2)
    await store.clear()
    t.is(await store.count(), 0)
  })

  // ---- copies ------------------------------------------------------------

  test('mutating a vector returned by get does not change the store', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    await store.add('a', [1, 2, 3])
    const first = await store.get('a')
    first.embedding.vector[0] = 100
    first.embedding.vector.fill(-5)
    const second = await store.get('a')
    t.deepEqual(Array.from(second.embedding.vector), [1, 2, 3])
    const [top] = await store.search([1, 2, 3], { limit: 1 })
    t.true(Math.abs(top.distance) < 1e-6)
  })

  test('mutating metadata returned by get or search does not change the store', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0], { k: 'v', tags: ['x', 'y'], n: 1 })
    const entry = await store.get('a')
    entry.metadata.k = 'changed'
    entry.metadata.extra = true
    entry.metadata.tags.push('z')
    entry.metadata.tags[0] = 'q'
    delete entry.metadata.n
    const [hit] = await store.search([1, 0], { limit: 1 })
    t.deepEqual(hit.metadata, { k: 'v', tags: ['x', 'y'], n: 1 })
    hit.metadata.k = 'again'
    hit.metadata.tags.length = 0
    t.deepEqual((await store.get('a')).metadata, { k: 'v', tags: ['x', 'y'], n: 1 })
    // A filter on the original values still matches.
    t.is((await store.search([1, 0], { filter: { tags: 'x', k: 'v' } })).length, 1)
    t.is((await store.search([1, 0], { filter: { tags: 'z' } })).length, 0)
  })

  test('mutating the caller\'s inputs after add resolved does not change the store', async (t) => {
    const store = await open(t, { dimension: 3, metric: 'euclidean' })
    const arr = [1, 2, 3]
    const f32v = new Float32Array([4, 5, 6])
    const emb = new Embedding([7, 8, 9])
    const tags = ['x']
    const meta = { k: 'v', tags }
    await store.add('arr', arr, meta)
    await store.add('f32', f32v)
    await store.add('emb', emb)
    arr[0] = 100
    arr.push(4)
    f32v.fill(0)
    emb.vector.fill(0)
    meta.k = 'changed'
    meta.extra = 1
    tags.push('y')
    t.deepEqual(Array.from((await store.get('arr')).embedding.vector), [1, 2, 3])
    t.deepEqual(Array.from((await store.get('f32')).embedding.vector), [4, 5, 6])
    t.deepEqual(Array.from((await store.get('emb')).embedding.vector), [7, 8, 9])
    t.deepEqual((await store.get('arr')).metadata, { k: 'v', tags: ['x'] })
    t.is((await store.search([1, 2, 3], { limit: 1 }))[0].id, 'arr')
  })

  test('mutating the caller\'s batch inputs after addBatch resolved does not change the store', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    const entries = [{ id: 'a', vector: [1, 2], metadata: { tags: ['p'] } }]
    await store.addBatch(entries)
    entries[0].vector[0] = 50
    entries[0].metadata.tags.push('q')
    entries[0].id = 'changed'
    const vectors = new Float32Array([3, 4, 5, 6])
    const ids = ['b', 'c']
    const metadata = [{ n: 1 }, { n: 2 }]
    await store.addBatch({ ids, vectors, metadata })
    vectors.fill(0)
    ids[0] = 'zzz'
    metadata[1].n = 99
    t.deepEqual(Array.from((await store.get('a')).embedding.vector), [1, 2])
    t.deepEqual((await store.get('a')).metadata, { tags: ['p'] })
    t.deepEqual(Array.from((await store.get('b')).embedding.vector), [3, 4])
    t.deepEqual(Array.from((await store.get('c')).embedding.vector), [5, 6])
    t.deepEqual((await store.get('c')).metadata, { n: 2 })
    t.false(await store.exists('zzz'))
    t.false(await store.exists('changed'))
  })

  test('two get() calls return independent copies', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await store.add('a', [1, 2], { tags: ['x'] })
    const e1 = await store.get('a')
    const e2 = await store.get('a')
    e1.embedding.vector[0] = 9
    e1.metadata.tags.push('y')
    t.deepEqual(Array.from(e2.embedding.vector), [1, 2])
    t.deepEqual(e2.metadata, { tags: ['x'] })
  })
}
