// Shared helpers for the conformance suite: a seeded PRNG, float comparison,
// a float64 brute-force reference search, and rejection assertions.
import { VgentError } from 'vgent'

export const METRICS = ['cosine', 'euclidean', 'dot_product', 'manhattan']

/** mulberry32: tiny deterministic 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Float32Array of n*dim values uniformly in [-1, 1). */
export function randomMatrix(rand, n, dim) {
  const out = new Float32Array(n * dim)
  for (let i = 0; i < out.length; i++) out[i] = rand() * 2 - 1
  return out
}

/** Asserts |actual - expected| <= tol. */
export function approx(t, actual, expected, tol = 1e-6, what = 'value') {
  const ok = typeof actual === 'number' && Math.abs(actual - expected) <= tol
  t.true(ok, `${what}: expected ${expected} ± ${tol}, got ${actual}`)
}

/** Relative tolerance 1e-5, absolute 1e-5 near zero. */
export function closeEnough(a, b, rel = 1e-5) {
  return Math.abs(a - b) <= Math.max(rel, rel * Math.max(Math.abs(a), Math.abs(b)))
}

// ---- float64 reference metrics --------------------------------------------

export function refSimilarity(metric, a, b) {
  let dot = 0
  let na = 0
  let nb = 0
  let l2 = 0
  let l1 = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    dot += x * y
    na += x * x
    nb += y * y
    l2 += (x - y) * (x - y)
    l1 += Math.abs(x - y)
  }
  switch (metric) {
    case 'cosine':
      return dot / (Math.sqrt(na) * Math.sqrt(nb))
    case 'dot_product':
      return dot
    case 'euclidean':
      return 1 / (1 + Math.sqrt(l2))
    case 'manhattan':
      return 1 / (1 + l1)
    default:
      throw new Error(`unknown metric ${metric}`)
  }
}

export function refDistance(metric, a, b) {
  const s = refSimilarity(metric, a, b)
  switch (metric) {
    case 'cosine':
      return 1 - s
    case 'dot_product':
      return -s
    default:
      return 1 / s - 1
  }
}

/**
 * Brute force in float64 over rows (array of { id, vector, metadata }).
 * `match` is an optional JS predicate over metadata standing in for the filter.
 */
export function bruteForce(metric, rows, query, { limit = 10, threshold, match } = {}) {
  const scored = []
  for (const row of rows) {
    if (match && !match(row.metadata)) continue
    const similarity = refSimilarity(metric, query, row.vector)
    if (threshold !== undefined && !(similarity >= threshold)) continue
    scored.push({ id: row.id, similarity })
  }
  scored.sort((x, y) => (y.similarity - x.similarity) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
  return scored.slice(0, limit)
}

/**
 * Compares a store's results with a float64 brute force, robust to near-ties:
 *  - same length;
 *  - ids unique;
 *  - every returned similarity matches that id's true similarity;
 *  - the i-th returned similarity matches the i-th true best similarity;
 *  - results are sorted by similarity descending (ties by id ascending);
 *  - whenever the expected i-th similarity is clearly separated from its
 *    neighbours, the id at position i is exactly the expected one;
 *  - no entry clearly better than the last expected one is missing.
 * `trueSim(id)` gives the float64 similarity of any stored id (or undefined
 * when the id is not eligible, e.g. filtered out).
 */
export function compareToReference(t, got, expected, trueSim, label) {
  t.is(got.length, expected.length, `${label}: result count`)
  const n = Math.min(got.length, expected.length)
  const seen = new Set()
  let failures = 0
  const fail = (msg) => {
    failures++
    if (failures <= 5) t.fail(`${label}: ${msg}`)
  }
  for (let i = 0; i < n; i++) {
    const g = got[i]
    if (seen.has(g.id)) fail(`duplicate id ${g.id} at ${i}`)
    seen.add(g.id)
    const truth = trueSim(g.id)
    if (truth === undefined) {
      fail(`position ${i}: id ${g.id} is not eligible (filtered out or unknown)`)
      continue
    }
    if (!closeEnough(g.similarity, truth)) fail(`position ${i}: id ${g.id} similarity ${g.similarity}, true ${truth}`)
    if (!closeEnough(g.similarity, expected[i].similarity)) {
      fail(`position ${i}: similarity ${g.similarity} (id ${g.id}), expected ${expected[i].similarity} (id ${expected[i].id})`)
    }
    if (i > 0) {
      const p = got[i - 1]
      const ordered = p.similarity > g.similarity || (p.similarity === g.similarity && p.id < g.id)
      if (!ordered) fail(`positions ${i - 1},${i} out of order: ${p.id}=${p.similarity}, ${g.id}=${g.similarity}`)
    }
    const e = expected[i]
    const prevClose = i > 0 && closeEnough(expected[i - 1].similarity, e.similarity)
    const nextClose = i + 1 < expected.length && closeEnough(expected[i + 1].similarity, e.similarity)
    // Beyond the last expected item there may be an excluded neighbour that is a near-tie.
    if (!prevClose && !nextClose && g.id !== e.id) {
      fail(`position ${i}: id ${g.id}, expected ${e.id} (similarity ${e.similarity} is not a near-tie)`)
    }
  }
  if (expected.length > 0) {
    const cutoff = expected[expected.length - 1].similarity
    for (const e of expected) {
      if (e.similarity > cutoff && !closeEnough(e.similarity, cutoff) && !seen.has(e.id)) {
        fail(`missing id ${e.id} with similarity ${e.similarity} (cutoff ${cutoff})`)
      }
    }
  }
  if (failures === 0) t.pass()
}

// ---- rejection helpers -----------------------------------------------------

/**
 * Asserts fn() returns a promise that rejects with a VgentError with `code`.
 * A synchronous throw fails (the API is promise-based).
 */
export async function rejectsWith(t, fn, code, what = '') {
  const err = await t.throwsAsync(fn, { instanceOf: VgentError }, `${what}: expected VgentError ${code}`)
  if (err) {
    t.is(err.code, code, `${what}: error code (message: ${err.message})`)
    t.true(err instanceof Error, `${what}: VgentError is an Error`)
  }
  return err
}

/** Like rejectsWith, but any of `codes` is acceptable (where the contract leaves the choice open). */
export async function rejectsWithOneOf(t, fn, codes, what = '') {
  const err = await t.throwsAsync(fn, { instanceOf: VgentError }, `${what}: expected VgentError (${codes.join(' or ')})`)
  if (err) t.true(codes.includes(err.code), `${what}: code ${err.code} (message: ${err.message}) not in ${codes.join(', ')}`)
  return err
}

/** Snapshot of a store's observable state: count plus a copy of every listed entry. */
export async function snapshot(store, ids) {
  const entries = {}
  for (const id of ids) {
    const e = await store.get(id)
    entries[id] = e === null ? null : { vector: Array.from(e.embedding.vector), metadata: e.metadata }
  }
  return { count: await store.count(), entries }
}

/**
 * Asserts fn rejects with `code` and that the store (count, and get() of
 * `ids` plus `absent`) is unchanged afterwards.
 */
export async function rejectsUnchanged(t, store, ids, fn, code, what = '', absent = []) {
  const before = await snapshot(store, [...ids, ...absent])
  await rejectsWith(t, fn, code, what)
  const after = await snapshot(store, [...ids, ...absent])
  t.deepEqual(after, before, `${what}: a rejected call must change nothing`)
}

export function sortedIds(results) {
  return results.map((r) => r.id).sort()
}

/** Float32 rounding of a plain array, for comparing stored vectors. */
export function f32(values) {
  return Array.from(Float32Array.from(values))
}
