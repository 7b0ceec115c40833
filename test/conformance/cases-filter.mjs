// The portable filter language: equality (and contains on string[]),
// $eq $ne $gt $gte $lt $lte $in $nin $exists, $and $or $not, implicit AND,
// missing-key semantics and the absence of type coercion.
import { METRICS } from './helpers.mjs'

// Products (2-D vectors, all distinct and non-zero):
const PRODUCTS = [
  ['p1', [1, 0], { kind: 'fruit', name: 'apple', price: 3, stock: 10, organic: true, tags: ['red', 'sweet'] }],
  ['p2', [0, 1], { kind: 'fruit', name: 'banana', price: 1.5, stock: 0, organic: false, tags: ['yellow', 'sweet'] }],
  ['p3', [1, 1], { kind: 'veg', name: 'carrot', price: 2, stock: 5, organic: true, tags: ['orange'] }],
  ['p4', [1, 2], { kind: 'veg', name: 'daikon', price: 4, organic: false, tags: [] }], // no stock
  ['p5', [2, 1], { kind: 'nut', name: 'almond', price: 10, stock: 100 }], // no organic, no tags
  ['p6', [3, 1], undefined], // no metadata at all
  ['p7', [1, 3], { kind: 'fruit', name: 'cherry', price: -1, stock: 7, organic: true, tags: ['red'] }],
]
const ALL = PRODUCTS.map(([id]) => id)

// Same "value" under different types, to check there is no coercion.
const TYPED = [
  ['t1', [1, 0], { v: 1 }],
  ['t2', [0, 1], { v: '1' }],
  ['t3', [1, 1], { v: true }],
  ['t4', [1, 2], { v: ['1'] }],
  ['t5', [2, 1], { v: 0 }],
  ['t6', [3, 1], { v: false }],
  ['t7', [1, 3], { v: '' }],
  ['t8', [2, 3], {}], // v missing
]

// [filter, expected ids] against PRODUCTS.
const PRODUCT_CASES = [
  [{}, ALL],
  [{ kind: 'fruit' }, ['p1', 'p2', 'p7']],
  [{ kind: { $eq: 'fruit' } }, ['p1', 'p2', 'p7']],
  [{ name: 'apple' }, ['p1']],
  [{ kind: 'meat' }, []],
  [{ price: 1.5 }, ['p2']],
  [{ price: { $eq: -1 } }, ['p7']],
  [{ organic: true }, ['p1', 'p3', 'p7']],
  [{ organic: false }, ['p2', 'p4']],
  // several keys: AND
  [{ kind: 'fruit', organic: true }, ['p1', 'p7']],
  [{ kind: 'fruit', organic: true, tags: 'sweet' }, ['p1']],
  [{ kind: 'veg', price: 10 }, []],
  // string[]: equality means contains
  [{ tags: 'red' }, ['p1', 'p7']],
  [{ tags: 'sweet' }, ['p1', 'p2']],
  [{ tags: { $eq: 'orange' } }, ['p3']],
  [{ tags: 'purple' }, []],
  // $ne: a missing key matches
  [{ kind: { $ne: 'fruit' } }, ['p3', 'p4', 'p5', 'p6']],
  [{ organic: { $ne: true } }, ['p2', 'p4', 'p5', 'p6']],
  [{ stock: { $ne: 0 } }, ['p1', 'p3', 'p4', 'p5', 'p6', 'p7']],
  // numeric comparisons: a missing key never matches
  [{ price: { $gt: 2 } }, ['p1', 'p4', 'p5']],
  [{ price: { $gte: 2 } }, ['p1', 'p3', 'p4', 'p5']],
  [{ price: { $lt: 2 } }, ['p2', 'p7']],
  [{ price: { $lte: 2 } }, ['p2', 'p3', 'p7']],
  [{ price: { $gt: -100 } }, ['p1', 'p2', 'p3', 'p4', 'p5', 'p7']],
  [{ stock: { $gt: 0 } }, ['p1', 'p3', 'p5', 'p7']],
  [{ stock: { $lte: 0 } }, ['p2']],
  [{ stock: { $lt: 1000 } }, ['p1', 'p2', 'p3', 'p5', 'p7']],
  // several operators on one key: AND
  [{ price: { $gt: 1, $lt: 4 } }, ['p1', 'p2', 'p3']],
  [{ price: { $gte: 2, $lte: 3 } }, ['p1', 'p3']],
  [{ price: { $gt: 5, $lt: 4 } }, []],
  // comparison operators on a key holding a non-number never match
  [{ name: { $gt: 0 } }, []],
  [{ organic: { $gte: 0 } }, []],
  // $in / $nin: a missing key matches $nin only
  [{ kind: { $in: ['veg', 'nut'] } }, ['p3', 'p4', 'p5']],
  [{ kind: { $nin: ['veg', 'nut'] } }, ['p1', 'p2', 'p6', 'p7']],
  [{ price: { $in: [1.5, 10] } }, ['p2', 'p5']],
  [{ price: { $nin: [1.5, 10] } }, ['p1', 'p3', 'p4', 'p6', 'p7']],
  [{ organic: { $in: [false] } }, ['p2', 'p4']],
  [{ kind: { $in: [] } }, []],
  [{ kind: { $nin: [] } }, ALL],
  // $exists
  [{ stock: { $exists: true } }, ['p1', 'p2', 'p3', 'p5', 'p7']],
  [{ stock: { $exists: false } }, ['p4', 'p6']],
  [{ tags: { $exists: true } }, ['p1', 'p2', 'p3', 'p4', 'p7']], // an empty array still exists
  [{ nothing: { $exists: false } }, ALL],
  [{ nothing: { $exists: true } }, []],
  // combinators
  [{ $and: [{ kind: 'fruit' }, { price: { $gt: 2 } }] }, ['p1']],
  [{ $and: [{ kind: 'fruit' }] }, ['p1', 'p2', 'p7']],
  [{ $or: [{ kind: 'nut' }, { price: { $lt: 0 } }] }, ['p5', 'p7']],
  [{ $or: [{ kind: 'nut' }] }, ['p5']],
  [{ $not: { kind: 'fruit' } }, ['p3', 'p4', 'p5', 'p6']],
  [{ $not: { price: { $gt: 2 } } }, ['p2', 'p3', 'p6', 'p7']],
  [{ $not: { organic: { $exists: true } } }, ['p5', 'p6']],
  [{ $not: { tags: 'red' } }, ['p2', 'p3', 'p4', 'p5', 'p6']],
  [{ $not: { $not: { kind: 'veg' } } }, ['p3', 'p4']],
  [{ $not: {} }, []],
  [{ $or: [{ $and: [{ kind: 'fruit' }, { organic: true }] }, { tags: 'orange' }] }, ['p1', 'p3', 'p7']],
  [{ $and: [{ $or: [{ kind: 'veg' }, { kind: 'nut' }] }, { $not: { price: { $gte: 10 } } }] }, ['p3', 'p4']],
  // field keys next to a combinator: AND
  [{ kind: 'fruit', $or: [{ price: { $lt: 0 } }, { stock: { $gte: 10 } }] }, ['p1', 'p7']],
  [{ organic: true, $not: { kind: 'veg' } }, ['p1', 'p7']],
]

// [filter, expected ids] against TYPED — no coercion between types.
const TYPED_CASES = [
  [{ v: 1 }, ['t1']], // not '1', not true, not ['1']
  [{ v: '1' }, ['t2', 't4']], // string equality, and contains on ['1']
  [{ v: true }, ['t3']], // not 1
  [{ v: 0 }, ['t5']], // not false, not ''
  [{ v: false }, ['t6']], // not 0, not ''
  [{ v: '' }, ['t7']], // not 0, not false
  [{ v: { $eq: 1 } }, ['t1']],
  [{ v: { $eq: true } }, ['t3']],
  [{ v: { $in: [1] } }, ['t1']],
  [{ v: { $in: [true] } }, ['t3']],
  [{ v: { $in: [0, false] } }, ['t5', 't6']],
  [{ v: { $nin: [1, true] } }, ['t2', 't4', 't5', 't6', 't7', 't8']],
  [{ v: { $ne: 1 } }, ['t2', 't3', 't4', 't5', 't6', 't7', 't8']],
  [{ v: { $ne: true } }, ['t1', 't2', 't4', 't5', 't6', 't7', 't8']],
  [{ v: { $gt: 0 } }, ['t1']], // true is not 1
  [{ v: { $gte: 0 } }, ['t1', 't5']],
  [{ v: { $lt: 1 } }, ['t5']], // false is not 0, '' is not 0
  [{ v: { $lte: 1 } }, ['t1', 't5']], // '1' is not 1
  [{ v: { $exists: true } }, ['t1', 't2', 't3', 't4', 't5', 't6', 't7']],
]

async function seed(store, rows) {
  await store.addBatch(rows.map(([id, vector, metadata]) => ({ id, vector, metadata })))
}

async function matchIds(store, filter) {
  const results = await store.search([1, 1], { limit: 100, filter })
  return results.map((r) => r.id).sort()
}

const show = (f) => JSON.stringify(f)

export function registerFilterCases({ test, open }) {
  test('filter cases on products (equality, contains, operators, combinators, missing keys)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await seed(store, PRODUCTS)
    for (const [filter, expected] of PRODUCT_CASES) {
      t.deepEqual(await matchIds(store, filter), [...expected].sort(), show(filter))
    }
  })

  test('filters never coerce between types (1 vs \'1\' vs true)', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await seed(store, TYPED)
    for (const [filter, expected] of TYPED_CASES) {
      t.deepEqual(await matchIds(store, filter), [...expected].sort(), show(filter))
    }
  })

  for (const metric of METRICS) {
    test(`filtered results keep metric order and respect limit (${metric})`, async (t) => {
      const store = await open(t, { dimension: 2, metric })
      await seed(store, PRODUCTS)
      const unfiltered = await store.search([1, 1], { limit: 100 })
      const filter = { $or: [{ kind: 'fruit' }, { stock: { $exists: false } }] } // p1 p2 p7 p4 p6
      const matching = new Set(['p1', 'p2', 'p4', 'p6', 'p7'])
      const expectedOrder = unfiltered.filter((r) => matching.has(r.id))
      const filtered = await store.search([1, 1], { limit: 100, filter })
      t.deepEqual(filtered, expectedOrder)
      const top3 = await store.search([1, 1], { limit: 3, filter })
      t.deepEqual(top3, expectedOrder.slice(0, 3))
    })
  }

  test('filters see the latest metadata after upsert, and ignore removed entries', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0], { state: 'draft' })
    await store.add('b', [0, 1], { state: 'draft' })
    t.deepEqual(await matchIds(store, { state: 'draft' }), ['a', 'b'])
    await store.add('a', [1, 0], { state: 'final' })
    t.deepEqual(await matchIds(store, { state: 'draft' }), ['b'])
    t.deepEqual(await matchIds(store, { state: 'final' }), ['a'])
    await store.add('b', [0, 1]) // metadata dropped
    t.deepEqual(await matchIds(store, { state: { $exists: true } }), ['a'])
    t.deepEqual(await matchIds(store, { state: { $exists: false } }), ['b'])
    await store.remove('a')
    t.deepEqual(await matchIds(store, { state: 'final' }), [])
  })

  test('a filter applies to every query of searchBatch', async (t) => {
    const store = await open(t, { dimension: 2, metric: 'euclidean' })
    await seed(store, PRODUCTS)
    const filter = { kind: 'veg' }
    const batch = await store.searchBatch([[1, 0], [0, 1], [5, 5]], { filter, limit: 10 })
    t.is(batch.length, 3)
    for (const rs of batch) t.deepEqual(rs.map((r) => r.id).sort(), ['p3', 'p4'])
  })

  test('metadata keys are matched exactly (case-sensitive, no dotted paths)', async (t) => {
    const store = await open(t, { dimension: 2 })
    await store.add('a', [1, 0], { Color: 'red', 'a.b': 'dotted' })
    t.deepEqual(await matchIds(store, { Color: 'red' }), ['a'])
    t.deepEqual(await matchIds(store, { color: 'red' }), [])
    t.deepEqual(await matchIds(store, { 'a.b': 'dotted' }), ['a'])
    t.deepEqual(await matchIds(store, { Color: 'Red' }), [])
  })
}
