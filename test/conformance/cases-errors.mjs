// Errors: every rejection is a VgentError with a stable code, and a rejected
// call changes nothing (count and stored entries are checked after each one).
import { Embedding, ErrorCode } from 'vgent'
import { METRICS, rejectsUnchanged, rejectsWith, rejectsWithOneOf, snapshot } from './helpers.mjs'

const SEEDED = ['a', 'b']

/** A 3-D store holding a and b (with metadata). */
async function seeded(open, t, metric = 'cosine') {
  const store = await open(t, { dimension: 3, metric })
  await store.add('a', [1, 2, 3], { k: 'a', tags: ['x'] })
  await store.add('b', [-1, 0, 1], { k: 'b' })
  return store
}

const BAD_IDS = [
  ['empty string', ''],
  ['number', 123],
  ['null', null],
  ['undefined', undefined],
  ['object', { id: 'a' }],
  ['array', ['a']],
  ['1025 ASCII bytes', 'a'.repeat(1025)],
  ['1025 bytes of 2-byte chars (513 chars)', 'é'.repeat(512) + 'a'],
  ['1026 bytes of 2-byte chars', 'é'.repeat(513)],
  ['1027 bytes of 3-byte chars (343 chars)', '€'.repeat(342) + 'a'],
  ['1025 bytes of 4-byte chars (514 UTF-16 units)', '😀'.repeat(256) + 'a'],
]

const BAD_METADATA = [
  ['null value', { a: null }],
  ['nested object', { a: { b: 1 } }],
  ['number[]', { a: [1, 2] }],
  ['mixed array', { a: ['x', 1] }],
  ['array with null', { a: ['x', null] }],
  ['NaN', { a: NaN }],
  ['nested array', { a: [['x']] }],
  ['metadata is a string', 'meta'],
  ['metadata is a number', 42],
  ['metadata is an array', ['x']],
]

const BAD_LIMITS = [0, -1, 1.5, 0.999, NaN, '3', Infinity, -Infinity]
const BAD_THRESHOLDS = [NaN, Infinity, -Infinity, '0.5']

export function registerErrorCases({ test, open }) {
  test('ErrorCode values are their own names', (t) => {
    for (const code of ['DIMENSION_MISMATCH', 'INVALID_VECTOR', 'INVALID_ID', 'INVALID_ARGUMENT', 'INVALID_FILTER', 'CLOSED']) {
      t.is(ErrorCode[code], code)
    }
  })

  // ---- DIMENSION_MISMATCH ----------------------------------------------------

  test('add with the wrong dimension rejects DIMENSION_MISMATCH', async (t) => {
    const store = await seeded(open, t)
    for (const [label, vector] of [
      ['too short', [1, 2]],
      ['too long', [1, 2, 3, 4]],
      ['empty', []],
      ['Float32Array too short', new Float32Array(2).fill(1)],
      ['Embedding too long', new Embedding([1, 1, 1, 1])],
    ]) {
      await rejectsUnchanged(t, store, SEEDED, () => store.add('c', vector), 'DIMENSION_MISMATCH', label, ['c'])
    }
    // Upsert of an existing id with a wrong dimension keeps the old entry.
    await rejectsUnchanged(t, store, SEEDED, () => store.add('a', [9, 9], { k: 'new' }), 'DIMENSION_MISMATCH', 'upsert')
  })

  test('search / searchBatch with the wrong dimension rejects DIMENSION_MISMATCH', async (t) => {
    const store = await seeded(open, t)
    await rejectsUnchanged(t, store, SEEDED, () => store.search([1, 2]), 'DIMENSION_MISMATCH', 'search short')
    await rejectsUnchanged(t, store, SEEDED, () => store.search(new Float32Array(4).fill(1)), 'DIMENSION_MISMATCH', 'search long')
    await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch([[1, 2, 3], [1, 2]]), 'DIMENSION_MISMATCH', 'batch with one short query')
    await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch(new Float32Array(7).fill(1)), 'DIMENSION_MISMATCH', 'flat batch not a multiple of dimension')
    // Also on an empty store: validation does not depend on content.
    const empty = await open(t, { dimension: 3 })
    await rejectsWith(t, () => empty.search([1, 2]), 'DIMENSION_MISMATCH', 'empty store search')
  })

  test('bulk addBatch whose vectors are not ids.length × dimension rejects DIMENSION_MISMATCH', async (t) => {
    const store = await seeded(open, t)
    await rejectsUnchanged(t, store, SEEDED,
      () => store.addBatch({ ids: ['c', 'd'], vectors: new Float32Array(5).fill(1) }),
      'DIMENSION_MISMATCH', 'short buffer', ['c', 'd'])
    await rejectsUnchanged(t, store, SEEDED,
      () => store.addBatch({ ids: ['c', 'd'], vectors: new Float32Array(9).fill(1) }),
      'DIMENSION_MISMATCH', 'long buffer', ['c', 'd'])
  })

  // ---- INVALID_VECTOR --------------------------------------------------------

  for (const metric of METRICS) {
    test(`non-finite vectors reject INVALID_VECTOR on add and search (${metric})`, async (t) => {
      const store = await seeded(open, t, metric)
      for (const [label, v] of [
        ['NaN', [1, NaN, 3]],
        ['+Infinity', [Infinity, 0, 1]],
        ['-Infinity', [0, 1, -Infinity]],
        ['Float32Array NaN', new Float32Array([1, 1, NaN])],
        ['overflows float32', [1e39, 1, 1]],
      ]) {
        await rejectsUnchanged(t, store, SEEDED, () => store.add('c', v), 'INVALID_VECTOR', `add ${label}`, ['c'])
        await rejectsUnchanged(t, store, SEEDED, () => store.add('a', v), 'INVALID_VECTOR', `upsert ${label}`)
        await rejectsUnchanged(t, store, SEEDED, () => store.search(v), 'INVALID_VECTOR', `search ${label}`)
        await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch([[1, 1, 1], v]), 'INVALID_VECTOR', `searchBatch ${label}`)
      }
      await rejectsUnchanged(t, store, SEEDED,
        () => store.searchBatch(new Float32Array([1, 1, 1, 1, NaN, 1])), 'INVALID_VECTOR', 'flat searchBatch NaN')
    })
  }

  test('a zero vector under cosine rejects INVALID_VECTOR (add and query)', async (t) => {
    const store = await seeded(open, t, 'cosine')
    await rejectsUnchanged(t, store, SEEDED, () => store.add('z', [0, 0, 0]), 'INVALID_VECTOR', 'add zero', ['z'])
    await rejectsUnchanged(t, store, SEEDED, () => store.add('z', new Float32Array(3)), 'INVALID_VECTOR', 'add zero f32', ['z'])
    await rejectsUnchanged(t, store, SEEDED, () => store.add('a', [0, -0, 0]), 'INVALID_VECTOR', 'upsert zero')
    await rejectsUnchanged(t, store, SEEDED, () => store.search([0, 0, 0]), 'INVALID_VECTOR', 'search zero')
    await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch([[1, 0, 0], [0, 0, 0]]), 'INVALID_VECTOR', 'searchBatch zero')
    await rejectsUnchanged(t, store, SEEDED,
      () => store.addBatch({ ids: ['y', 'z'], vectors: new Float32Array([1, 1, 1, 0, 0, 0]) }),
      'INVALID_VECTOR', 'bulk with a zero row', ['y', 'z'])
  })

  for (const metric of ['euclidean', 'dot_product', 'manhattan']) {
    test(`a zero vector is valid under ${metric}`, async (t) => {
      const store = await open(t, { dimension: 3, metric })
      t.is(await store.add('z', [0, 0, 0]), 'z')
      await store.add('o', [1, 1, 1])
      const results = await store.search([0, 0, 0])
      t.is(results.length, 2)
      if (metric === 'dot_product') {
        // every dot with the zero query is 0 → tie broken by id: o, z
        t.deepEqual(results.map((r) => r.id), ['o', 'z'])
        for (const r of results) t.true(Math.abs(r.similarity) < 1e-9)
      } else {
        t.is(results[0].id, 'z')
        t.true(Math.abs(results[0].similarity - 1) < 1e-6) // distance 0 → 1/(1+0)
      }
    })
  }

  test('vectors with non-number elements, or non-vectors, reject with a VgentError', async (t) => {
    const store = await seeded(open, t)
    const before = await snapshot(store, [...SEEDED, 'c'])
    const bad = [
      ['string element', ['1', 2, 3]],
      ['null element', [1, null, 3]],
      ['undefined element', [1, undefined, 3]],
      ['hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
      ['object element', [1, {}, 3]],
      ['bigint elements', [1n, 2n, 3n]],
      ['null vector', null],
      ['string vector', 'abc'],
      ['plain object vector', { 0: 1, 1: 2, 2: 3 }],
      ['number vector', 42],
    ]
    const codes = ['INVALID_VECTOR', 'INVALID_ARGUMENT']
    for (const [label, v] of bad) {
      await rejectsWithOneOf(t, () => store.add('c', v), codes, `add ${label}`)
      await rejectsWithOneOf(t, () => store.addBatch([{ id: 'c', vector: v }]), codes, `addBatch ${label}`)
      await rejectsWithOneOf(t, () => store.search(v), codes, `search ${label}`)
      await rejectsWithOneOf(t, () => store.searchBatch([[1, 1, 1], v]), codes, `searchBatch ${label}`)
    }
    await rejectsWithOneOf(t, () => store.addBatch({ ids: ['c'], vectors: [1, 2, 3] }), codes, 'bulk vectors not a Float32Array')
    t.deepEqual(await snapshot(store, [...SEEDED, 'c']), before, 'nothing changed')
  })

  // ---- INVALID_ID ------------------------------------------------------------

  test('invalid ids reject INVALID_ID on add', async (t) => {
    const store = await seeded(open, t)
    for (const [label, id] of BAD_IDS) {
      await rejectsUnchanged(t, store, SEEDED, () => store.add(id, [1, 1, 1]), 'INVALID_ID', label)
    }
    // The byte limit is counted in UTF-8 bytes, not characters: 513 chars of
    // 'é' is 1026 bytes even though .length is 513.
    t.is(await store.count(), 2)
  })

  test('invalid ids reject INVALID_ID in addBatch (both forms), storing nothing', async (t) => {
    const store = await seeded(open, t)
    for (const [label, id] of BAD_IDS) {
      await rejectsUnchanged(t, store, SEEDED, () => store.addBatch([
        { id: 'c', vector: [1, 1, 1] },
        { id, vector: [1, 0, 1] },
        { id: 'd', vector: [0, 1, 1] },
      ]), 'INVALID_ID', `entries: ${label}`, ['c', 'd'])
      await rejectsUnchanged(t, store, SEEDED, () => store.addBatch({
        ids: ['c', id],
        vectors: new Float32Array([1, 1, 1, 1, 0, 1]),
      }), 'INVALID_ID', `bulk: ${label}`, ['c'])
    }
  })

  // ---- INVALID_ARGUMENT --------------------------------------------------------

  test('invalid metadata rejects INVALID_ARGUMENT on add', async (t) => {
    const store = await seeded(open, t)
    for (const [label, metadata] of BAD_METADATA) {
      await rejectsUnchanged(t, store, SEEDED, () => store.add('c', [1, 1, 1], metadata), 'INVALID_ARGUMENT', label, ['c'])
      await rejectsUnchanged(t, store, SEEDED, () => store.add('a', [1, 1, 1], metadata), 'INVALID_ARGUMENT', `upsert ${label}`)
    }
  })

  test('invalid metadata rejects INVALID_ARGUMENT in addBatch (both forms), storing nothing', async (t) => {
    const store = await seeded(open, t)
    for (const [label, metadata] of BAD_METADATA) {
      await rejectsUnchanged(t, store, SEEDED, () => store.addBatch([
        { id: 'c', vector: [1, 1, 1], metadata: { ok: 1 } },
        { id: 'a', vector: [5, 5, 5], metadata: { ok: 2 } },
        { id: 'd', vector: [1, 0, 1], metadata },
      ]), 'INVALID_ARGUMENT', `entries: ${label}`, ['c', 'd'])
      await rejectsUnchanged(t, store, SEEDED, () => store.addBatch({
        ids: ['c', 'd'],
        vectors: new Float32Array([1, 1, 1, 1, 0, 1]),
        metadata: [{ ok: 1 }, metadata],
      }), 'INVALID_ARGUMENT', `bulk: ${label}`, ['c', 'd'])
    }
  })

  test('bulk addBatch with a metadata array of the wrong length rejects INVALID_ARGUMENT', async (t) => {
    const store = await seeded(open, t)
    await rejectsUnchanged(t, store, SEEDED, () => store.addBatch({
      ids: ['c', 'd'],
      vectors: new Float32Array([1, 1, 1, 1, 0, 1]),
      metadata: [{ ok: 1 }],
    }), 'INVALID_ARGUMENT', 'metadata shorter than ids', ['c', 'd'])
  })

  test('one bad entry rejects the whole batch and stores nothing (entry form)', async (t) => {
    const store = await seeded(open, t)
    const good = (id) => ({ id, vector: [1, 1, 1], metadata: { id } })
    const cases = [
      ['DIMENSION_MISMATCH', { id: 'bad', vector: [1, 1] }],
      ['INVALID_VECTOR', { id: 'bad', vector: [1, NaN, 1] }],
      ['INVALID_VECTOR', { id: 'bad', vector: [0, 0, 0] }], // cosine store
      ['INVALID_ID', { id: '', vector: [1, 1, 1] }],
      ['INVALID_ARGUMENT', { id: 'bad', vector: [1, 1, 1], metadata: { x: null } }],
    ]
    for (const [code, bad] of cases) {
      for (const position of ['first', 'middle', 'last']) {
        const batch = [good('c'), { id: 'a', vector: [7, 7, 7], metadata: { replaced: true } }, good('d')]
        const at = { first: 0, middle: 2, last: 3 }[position]
        batch.splice(at, 0, bad)
        await rejectsUnchanged(t, store, SEEDED, () => store.addBatch(batch), code, `${code} ${position}`, ['c', 'd', 'bad'])
      }
    }
  })

  test('one bad row rejects the whole bulk batch and stores nothing', async (t) => {
    const store = await seeded(open, t)
    await rejectsUnchanged(t, store, SEEDED, () => store.addBatch({
      ids: ['c', 'a', 'd'],
      vectors: new Float32Array([1, 1, 1, 7, 7, 7, 1, Infinity, 1]),
    }), 'INVALID_VECTOR', 'Infinity in last row', ['c', 'd'])
    await rejectsUnchanged(t, store, SEEDED, () => store.addBatch({
      ids: ['c', 'a', 'd'],
      vectors: new Float32Array([NaN, 1, 1, 7, 7, 7, 1, 1, 1]),
    }), 'INVALID_VECTOR', 'NaN in first row', ['c', 'd'])
  })

  test('invalid limit rejects INVALID_ARGUMENT (search and searchBatch)', async (t) => {
    const store = await seeded(open, t)
    for (const limit of BAD_LIMITS) {
      await rejectsUnchanged(t, store, SEEDED, () => store.search([1, 1, 1], { limit }), 'INVALID_ARGUMENT', `limit ${String(limit)}`)
      await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch([[1, 1, 1]], { limit }), 'INVALID_ARGUMENT', `batch limit ${String(limit)}`)
    }
    // Also on an empty store.
    const empty = await open(t, { dimension: 3 })
    await rejectsWith(t, () => empty.search([1, 1, 1], { limit: 0 }), 'INVALID_ARGUMENT', 'empty store limit 0')
  })

  test('non-finite threshold rejects INVALID_ARGUMENT (search and searchBatch)', async (t) => {
    const store = await seeded(open, t)
    for (const threshold of BAD_THRESHOLDS) {
      await rejectsUnchanged(t, store, SEEDED, () => store.search([1, 1, 1], { threshold }), 'INVALID_ARGUMENT', `threshold ${String(threshold)}`)
      await rejectsUnchanged(t, store, SEEDED, () => store.searchBatch([[1, 1, 1]], { threshold }), 'INVALID_ARGUMENT', `batch threshold ${String(threshold)}`)
    }
  })

  // ---- INVALID_FILTER ----------------------------------------------------------

  test('malformed filters reject INVALID_FILTER, never "no match"', async (t) => {
    const store = await seeded(open, t)
    const bad = [
      ['unknown operator', { k: { $regex: 'a' } }],
      ['unknown combinator', { $xor: [{ k: 'a' }] }],
      ['operator at top level', { $gt: 1 }],
      ['object value without operators', { k: { foo: 1 } }],
      ['$gt with a string', { k: { $gt: '1' } }],
      ['$gte with a boolean', { k: { $gte: true } }],
      ['$lt with an array', { k: { $lt: [1] } }],
      ['$lte with null', { k: { $lte: null } }],
      ['$in with a string', { k: { $in: 'a' } }],
      ['$nin with a number', { k: { $nin: 1 } }],
      ['$exists with a number', { k: { $exists: 1 } }],
      ['$exists with a string', { k: { $exists: 'true' } }],
      ['$and with an object', { $and: { k: 'a' } }],
      ['$or with a string', { $or: 'k' }],
      ['$and element not a filter', { $and: [1] }],
      ['$or element not a filter', { $or: [{ k: 'a' }, 'b'] }],
      ['$not with an array', { $not: [{ k: 'a' }] }],
      ['$not with a string', { $not: 'a' }],
      ['filter is a string', 'k = a'],
      ['filter is a number', 42],
      ['filter is an array', [{ k: 'a' }]],
      ['nested unknown operator', { $or: [{ k: 'a' }, { k: { $like: 'b' } }] }],
      ['unknown operator under $not', { $not: { k: { $foo: 1 } } }],
    ]
    for (const [label, filter] of bad) {
      await rejectsUnchanged(t, store, SEEDED, () => store.search([1, 1, 1], { filter }), 'INVALID_FILTER', label)
    }
    await rejectsUnchanged(t, store, SEEDED,
      () => store.searchBatch([[1, 1, 1]], { filter: { k: { $regex: 'a' } } }), 'INVALID_FILTER', 'searchBatch')
    // An empty store must still validate the filter.
    const empty = await open(t, { dimension: 3 })
    await rejectsWith(t, () => empty.search([1, 1, 1], { filter: { k: { $regex: 'a' } } }), 'INVALID_FILTER', 'empty store')
  })

  // ---- CLOSED ------------------------------------------------------------------

  test('every call after close() rejects CLOSED', async (t) => {
    const store = await seeded(open, t)
    t.is(await store.close(), undefined)
    const calls = [
      ['add', () => store.add('c', [1, 1, 1])],
      ['add existing', () => store.add('a', [1, 1, 1])],
      ['addBatch', () => store.addBatch([{ id: 'c', vector: [1, 1, 1] }])],
      ['bulk addBatch', () => store.addBatch({ ids: ['c'], vectors: new Float32Array([1, 1, 1]) })],
      ['remove', () => store.remove('a')],
      ['clear', () => store.clear()],
      ['get', () => store.get('a')],
      ['search', () => store.search([1, 1, 1])],
      ['searchBatch', () => store.searchBatch([[1, 1, 1]])],
      ['flat searchBatch', () => store.searchBatch(new Float32Array([1, 1, 1]))],
      ['count', () => store.count()],
      ['exists', () => store.exists('a')],
    ]
    for (const [label, fn] of calls) await rejectsWith(t, fn, 'CLOSED', label)
  })

  test('close() does not affect other stores', async (t) => {
    const s1 = await seeded(open, t)
    const s2 = await seeded(open, t)
    await s1.close()
    t.is(await s2.count(), 2)
    t.is((await s2.search([1, 2, 3], { limit: 1 }))[0].id, 'a')
  })

  test('a rejected call leaves the store fully usable', async (t) => {
    const store = await seeded(open, t)
    await rejectsWith(t, () => store.add('c', [1]), 'DIMENSION_MISMATCH')
    await rejectsWith(t, () => store.search([1, 1, 1], { filter: { $bad: 1 } }), 'INVALID_FILTER')
    await store.add('c', [3, 2, 1])
    t.is(await store.count(), 3)
    t.is((await store.search([3, 2, 1], { limit: 1 }))[0].id, 'c')
  })
}
