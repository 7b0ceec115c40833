// The pure TypeScript core (src/fallback/), which runs when the native addon does not load:
// nativeInfo(), the one-time warning (in child processes whose addon fails to load), and a
// cross-check of both cores on the same data.
//
// VGENT_NATIVE=0 must be set before vgent picks its core, so everything is imported dynamically
// after it (static imports are hoisted). ava runs each test file in its own process.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

process.env.VGENT_NATIVE = '0'

const { nativeInfo } = await import('vgent')
const { METRICS, mulberry32, randomMatrix } = await import('./conformance/helpers.mjs')

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const { FallbackCollection } = require('../dist/fallback/collection.js')
const { FallbackDgent } = require('../dist/fallback/datum.js')
/** The native addon, loaded directly for the cross-checks (vgent itself runs on the fallback here). */
const addon = require('../index.js')

// The conformance and datum suites run on this core through `npm run test:fallback` (the same files as
// `test:platform`, with VGENT_NATIVE=0); this file holds what only makes sense here: the switch, the
// warning, and the two cores side by side.

// ---- which core runs, and what it says -------------------------------------------------------

test('[fallback] nativeInfo() reports the TypeScript core and why it runs', (t) => {
  const info = nativeInfo()
  t.false(info.native)
  t.is(info.isa, 'scalar')
  t.deepEqual(info.available, [])
  t.is(info.reason, 'VGENT_NATIVE=0')
  t.is(info.version, require('../package.json').version)
})

/** Runs `code` (an ES module body with `vgent` imported as `v`) in a fresh node; returns its output. */
function child(code, env) {
  const script = `import * as v from 'vgent'\nconst warnings = []\nprocess.on('warning', (w) => warnings.push(w))\n${code}`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, VGENT_NATIVE: undefined, NAPI_RS_NATIVE_LIBRARY_PATH: undefined, ...env },
    encoding: 'utf8',
  })
  return { ...r, out: r.stdout ? JSON.parse(r.stdout) : undefined }
}

const WORKLOAD = `
for (let i = 0; i < 5; i++) {
  const s = new v.MemoryVectorBackend({ dimension: 2 })
  await s.add('a', [1, 0])
  await s.close()
}
const s = new v.MemoryVectorBackend({ dimension: 2, metric: 'euclidean' })
await s.addBatch([{ id: 'a', vector: [1, 0] }, { id: 'b', vector: [0, 1] }])
const hits = await s.search([0.9, 0.1], { limit: 2 })
const d = new v.MemoryDgent()
await d.put({ id: 'x', content: new Uint8Array([1]), createdAt: 1, causalParent: null, metadata: {} })
await new Promise((r) => setImmediate(r))
console.log(JSON.stringify({ info: v.nativeInfo(), ids: hits.map((h) => h.id), datums: await d.count(),
  warnings: warnings.filter((w) => w.code === 'VGENT_FALLBACK').map((w) => w.message) }))
`

test('[fallback] an addon that fails to load: one VGENT_FALLBACK warning, and everything still works', (t) => {
  const r = child(WORKLOAD, { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/vgent.node' })
  t.is(r.status, 0, r.stderr)
  const { info, ids, datums, warnings } = r.out
  t.deepEqual(ids, ['a', 'b'])
  t.is(datums, 1)
  t.false(info.native)
  t.is(info.isa, 'scalar')
  t.regex(info.reason, /nonexistent\/vgent\.node/, 'the reason names the load error')
  t.is(warnings.length, 1, 'warned exactly once across many stores')
  const [w] = warnings
  t.true(w.includes(`${process.platform}-${process.arch}`), 'names the platform')
  t.regex(w, /nonexistent\/vgent\.node/, 'names the load error')
  t.regex(w, /reinstall/i, 'says how to fix it')
  t.regex(w, new RegExp(`vgent-${process.platform}-${process.arch}`), 'names the optional package')
  t.is(r.stderr.match(/VGENT_FALLBACK/g)?.length, 1, 'printed once')
})

test('[fallback] VGENT_NATIVE=0 is an explicit choice: no warning', (t) => {
  const r = child(WORKLOAD, { VGENT_NATIVE: '0' })
  t.is(r.status, 0, r.stderr)
  t.deepEqual(r.out.warnings, [])
  t.is(r.out.info.reason, 'VGENT_NATIVE=0')
  t.false(r.out.info.native)
  t.notRegex(r.stderr, /VGENT_FALLBACK/)
})

test('[fallback] VGENT_NATIVE=1 requires the addon: a load failure is BACKEND_UNAVAILABLE', (t) => {
  const code = `
try { new v.MemoryVectorBackend({ dimension: 2 }); console.log(JSON.stringify({ ok: true })) }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, warnings: warnings.length })) }`
  const r = child(code, { VGENT_NATIVE: '1', NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/vgent.node' })
  t.is(r.status, 0, r.stderr)
  t.is(r.out.code, 'BACKEND_UNAVAILABLE')
  t.regex(r.out.message, /optional package vgent-/)
  t.is(r.out.warnings, 0)
})

test('[fallback] with a working addon, nativeInfo() says native', (t) => {
  const r = child('console.log(JSON.stringify({ info: v.nativeInfo(), warnings: warnings.length }))', {})
  t.is(r.status, 0, r.stderr)
  t.true(r.out.info.native)
  t.is(r.out.info.reason, undefined)
  t.not(r.out.info.isa, undefined)
  t.is(r.out.warnings, 0)
})

// ---- both cores, same answers ----------------------------------------------------------------

/** Ids whose UTF-16 order differs from their UTF-8 order, to pin the tie-break. */
const TIE_IDS = ['tie', 'tie-\uFFFD', 'tie-\u{1F600}', 'tie-é', 'tie-E', 'tie-\uE000', 'Tie', 'tie-\u{10000}']

/** 2000 × 48 rows: random, plus groups of exact (and, for cosine, power-of-two scaled) duplicates. */
function dataset(metric) {
  const dim = 48
  const rand = mulberry32(4242)
  const base = randomMatrix(rand, 1900, dim)
  const ids = []
  const rows = []
  for (let i = 0; i < 1900; i++) {
    ids.push(`row-${i}`)
    rows.push(base.subarray(i * dim, (i + 1) * dim))
  }
  for (let g = 0; g < 12; g++) {
    for (let j = 0; j < TIE_IDS.length; j++) {
      const scale = metric === 'cosine' ? 2 ** (j % 3) : 1
      ids.push(`${TIE_IDS[j]}-${g}`)
      rows.push(rows[g * 7].map((x) => x * scale))
    }
  }
  while (ids.length < 2000) {
    ids.push(`pad-${ids.length}`)
    rows.push(randomMatrix(rand, 1, dim))
  }
  const vectors = new Float32Array(ids.length * dim)
  rows.forEach((r, i) => vectors.set(r, i * dim))
  const metadata = ids.map((_, i) =>
    i % 11 === 0 ? null : { g: i % 5, tag: ['a', 'b', 'c'][i % 3], ...(i % 2 === 0 ? { even: true } : {}), tags: [`t${i % 4}`, 'all'] },
  )
  return { dim, ids, vectors, metadataJson: JSON.stringify(metadata), rand }
}

const FILTERS = [
  null,
  { op: 'eq', key: 'tag', value: 'a' },
  { op: 'eq', key: 'tags', value: 't1' },
  { op: 'and', args: [{ op: 'gt', key: 'g', value: 1 }, { op: 'exists', key: 'even', value: true }] },
  { op: 'or', args: [{ op: 'lte', key: 'g', value: 0 }, { op: 'nin', key: 'tag', values: ['a', 'b'] }] },
  { op: 'not', arg: { op: 'in', key: 'g', values: [0, 3] } },
  { op: 'ne', key: 'tag', value: 'c' },
  { op: 'exists', key: 'g', value: false },
]
const THRESHOLDS = { cosine: 0.2, dot_product: 1, euclidean: 0.2, manhattan: 0.06 }

function sameHits(t, got, want, what) {
  t.deepEqual(got.map((h) => h.id), want.map((h) => h.id), `${what}: ids`)
  const n = Math.min(got.length, want.length)
  for (let i = 0; i < n; i++) {
    const ok =
      Math.abs(got[i].similarity - want[i].similarity) <= 1e-5 && Math.abs(got[i].distance - want[i].distance) <= 1e-5 &&
      JSON.stringify(got[i].metadata && JSON.parse(got[i].metadata)) === JSON.stringify(want[i].metadata && JSON.parse(want[i].metadata))
    if (!ok) {
      t.fail(`${what}: hit ${i} ${JSON.stringify(got[i])} vs native ${JSON.stringify(want[i])}`)
      return
    }
  }
  t.pass()
}

for (const metric of METRICS) {
  test(`[fallback] same ids, order and scores (±1e-5) as the native core: ${metric}, 2000 × 48 with filters and ties`, async (t) => {
    const { dim, ids, vectors, metadataJson, rand } = dataset(metric)
    const fb = new FallbackCollection(dim, metric)
    const nat = new addon.NativeCollection(dim, metric)
    t.teardown(() => {
      fb.close()
      nat.close()
    })
    fb.upsert(ids, vectors, metadataJson)
    nat.upsert(ids, vectors, metadataJson)
    // Queries: rows that have tied duplicates (ties at the top), stored rows, and random vectors.
    const queries = []
    for (let g = 0; g < 6; g++) queries.push(vectors.slice(g * 7 * dim, (g * 7 + 1) * dim))
    queries.push(vectors.slice(500 * dim, 501 * dim))
    for (let i = 0; i < 6; i++) queries.push(randomMatrix(rand, 1, dim))
    for (const [qi, q] of queries.entries()) {
      for (const filter of FILTERS) {
        const json = filter && JSON.stringify(filter)
        for (const [k, threshold] of [[1, null], [10, null], [50, null], [50, THRESHOLDS[metric]]]) {
          const what = `q${qi} k=${k} t=${threshold} ${json}`
          sameHits(t, fb.search(q, k, threshold, json), nat.search(q, k, threshold, json), what)
        }
      }
    }
    // Batches and the async paths agree with the one-query path.
    const flat = new Float32Array(queries.length * dim)
    queries.forEach((q, i) => flat.set(q, i * dim))
    const filter = JSON.stringify(FILTERS[3])
    const want = nat.searchBatch(flat, 20, null, filter)
    const got = await fb.searchBatchAsync(flat, 20, null, filter)
    got.forEach((hits, i) => sameHits(t, hits, want[i], `batch q${i}`))
    sameHits(t, await fb.searchAsync(queries[0], 20, null, null), nat.search(queries[0], 20, null, null), 'async')
    // Removal moves the last row into the freed slot on both: the same slot order afterwards.
    for (const id of ['row-3', 'tie-é-0', 'pad-1999', 'row-0', 'nope']) t.is(fb.remove(id), nat.remove(id), `remove ${id}`)
    fb.upsert(['row-3', 'new'], vectors.subarray(0, 2 * dim), null)
    nat.upsert(['row-3', 'new'], vectors.subarray(0, 2 * dim), null)
    t.deepEqual(fb.ids(), nat.ids(), 'slot order')
    const some = ['row-7', 'missing', 'tie-😀-3', 'row-7', 'new']
    const a = fb.getMany(some)
    const b = nat.getMany(some)
    t.deepEqual([a.ids, [...a.vectors], JSON.parse(a.metadataJson)], [b.ids, [...b.vectors], JSON.parse(b.metadataJson)], 'getMany')
    sameHits(t, fb.search(queries[1], 30, null, null), nat.search(queries[1], 30, null, null), 'after writes')
  })
}

test('[fallback] the cores reject bad calls with the same code and message', async (t) => {
  const make = (Ctor, metric = 'cosine') => new Ctor(3, metric)
  const cases = [
    ['bad metric', (C) => new C(3, 'l2')],
    ['bad dimension', (C) => new C(0, 'cosine')],
    ['floats for ids', (C) => make(C).upsert(['a'], new Float32Array(4))],
    ['empty id', (C) => make(C).upsert(['ok', ''], new Float32Array(6).fill(1))],
    ['long id', (C) => make(C).upsert(['x'.repeat(1025)], new Float32Array(3).fill(1))],
    ['NaN', (C) => make(C).upsert(['a', 'b'], new Float32Array([1, 1, 1, 1, NaN, 1]))],
    ['-Infinity', (C) => make(C).upsert(['a'], new Float32Array([1, -Infinity, 1]))],
    ['zero vector under cosine', (C) => make(C).upsert(['z'], new Float32Array(3))],
    ['subnormal vector under cosine', (C) => make(C).upsert(['z'], new Float32Array([1e-45, 0, 0]))],
    ['metadata count', (C) => make(C).upsert(['a'], new Float32Array(3).fill(1), '[{}, {}]')],
    ['metadata null value', (C) => make(C).upsert(['a'], new Float32Array(3).fill(1), '[{"k": null}]')],
    ['metadata nested', (C) => make(C).upsert(['a'], new Float32Array(3).fill(1), '[{"k": {"a": 1}}]')],
    ['metadata list', (C) => make(C).validate(['a'], new Float32Array(3).fill(1), '[{"k": ["a", 1]}]')],
    ['metadata not an object', (C) => make(C).upsert(['a'], new Float32Array(3).fill(1), '[5]')],
    ['k = 0', (C) => make(C).search(new Float32Array([1, 1, 1]), 0)],
    ['threshold NaN', (C) => make(C).search(new Float32Array([1, 1, 1]), 1, NaN)],
    ['query dimension', (C) => make(C).search(new Float32Array([1, 1]), 1)],
    ['zero query', (C) => make(C).search(new Float32Array(3), 1)],
    ['batch not a multiple', (C) => make(C).searchBatch(new Float32Array(4), 1)],
    ['batch query NaN', (C) => make(C, 'euclidean').searchBatch(new Float32Array([1, 1, 1, 1, NaN, 1]), 1)],
    ['closed', (C) => { const c = make(C); c.close(); c.count() }],
    ['closed before k', (C) => { const c = make(C); c.close(); c.search(new Float32Array(3), 0) }],
  ]
  for (const [what, call] of cases) {
    const want = t.throws(() => call(addon.NativeCollection), undefined, `native: ${what}`)
    const got = t.throws(() => call(FallbackCollection), undefined, `fallback: ${what}`)
    t.is(got?.message, want?.message, what)
  }
  // Malformed filter trees: the same code and serde's wording (without its line and column).
  const bad = [
    '{"op":"regex","key":"a","value":"x"}', '{"op":"gt","key":"a","value":"x"}', '{"op":"gt","key":"a","value":1e400}', '[]', '"all"',
    '{"op":"eq","key":"a"}', '{"op":"and","args":[],"x":1}', '{"op":"eq","key":"k","value":null}', '{"op":"in","key":"k","values":5}',
    '{"op":"exists","key":"k","value":1}', '{"op":"not","arg":{"op":"lt","key":2,"value":1}}',
  ]
  for (const json of [...bad, '{']) {
    const want = t.throws(() => make(addon.NativeCollection).search(new Float32Array([1, 1, 1]), 1, null, json), undefined, json)
    const got = t.throws(() => make(FallbackCollection).search(new Float32Array([1, 1, 1]), 1, null, json), undefined, json)
    t.regex(got.message, /^INVALID_FILTER: malformed filter: /, json)
    if (json !== '{') t.is(got.message, want.message.replace(/ at line \d+ column \d+$/, ''), json)
  }
  // What serde accepts, the fallback accepts: extra fields beside `all`, empty lists, fields in any order.
  for (const json of ['{"op":"all","x":1}', '{"op":"in","key":"k","values":[]}', '{"key":"k","value":1,"op":"eq"}', '{"op":"or","args":[]}']) {
    const rows = (C) => {
      const c = make(C)
      c.upsert(['a', 'b'], new Float32Array([1, 1, 1, 1, 2, 3]), '[{"k":1},null]')
      return c.search(new Float32Array([1, 1, 1]), 5, null, json).map((h) => h.id)
    }
    t.deepEqual(rows(FallbackCollection), rows(addon.NativeCollection), json)
  }
  // A batch with a bad row stores nothing, on both.
  for (const C of [addon.NativeCollection, FallbackCollection]) {
    const c = make(C, 'euclidean')
    c.upsert(['keep'], new Float32Array([1, 2, 3]))
    t.throws(() => c.upsert(['keep', 'new'], new Float32Array([9, 9, 9, 1, NaN, 1])))
    t.deepEqual([c.ids(), [...c.get('keep').vector]], [['keep'], [1, 2, 3]])
    c.close()
    c.close() // idempotent
    await c.syncAsync()
  }
})

test('[fallback] float32 overflow and huge vectors behave as native', (t) => {
  // Products beyond float32: +∞ alone, +∞ meeting −∞ (NaN, ranked last), and norms beyond float32.
  const queries = [[3e38, 3e38, -3e38], [3e38, 3e38, 3e38], [1, 2, 3], [-2e38, 1, 0]]
  const rows = new Float32Array([3e38, 3e38, 3e38, 1, 2, 3, -3e38, 1, 0, 1e-30, 0, 1e-30])
  for (const metric of METRICS) {
    const fb = new FallbackCollection(3, metric)
    const nat = new addon.NativeCollection(3, metric)
    fb.upsert(['a', 'b', 'c', 'd'], rows)
    nat.upsert(['a', 'b', 'c', 'd'], rows)
    for (const query of queries) {
      const q = new Float32Array(query)
      const got = fb.search(q, 4)
      const want = nat.search(q, 4)
      const what = `${metric} q=${query}`
      t.deepEqual(got.map((h) => h.id), want.map((h) => h.id), what)
      for (let i = 0; i < want.length; i++) {
        for (const f of ['similarity', 'distance']) {
          const [x, y] = [got[i][f], want[i][f]]
          t.true(x === y || Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)), `${what} ${want[i].id} ${f}: ${x} vs ${y}`)
        }
      }
    }
    fb.close()
    nat.close()
  }
})

test('[fallback] the datum stores agree: list order with equal and signed-zero timestamps, chains, limits', (t) => {
  const fb = new FallbackDgent()
  const nat = new addon.NativeDgent()
  const writes = [
    ['a', 5, null], ['b', 5, 'a'], ['c', 0, 'b'], ['d', -0, 'c'], ['e', -1, 'e'], ['a', 5, 'd'], ['p:1', 7, null], ['p:2', 7, 'p:1'], ['q', 7, 'missing'],
  ]
  for (const [id, createdAt, parent] of writes) {
    for (const s of [fb, nat]) s.put(id, new Uint8Array([id.length]), createdAt, parent, JSON.stringify({ id, n: String(createdAt) }))
  }
  const view = (list) => list.map((d) => [d.id, Object.is(d.createdAt, -0) ? '-0' : d.createdAt, d.causalParent ?? null, d.metadataJson, [...d.content]])
  for (const [prefix, after, limit] of [[null, null, null], ['p:', null, null], ['', 0, null], ['', -0, null], ['', 5, 2], ['', -1, 1], ['', null, 0]]) {
    t.deepEqual(view(fb.list(prefix, after, limit)), view(nat.list(prefix, after, limit)), `list ${prefix} ${after} ${limit}`)
  }
  for (const id of ['a', 'd', 'e', 'q', 'p:2', 'missing']) t.deepEqual(view(fb.causalChain(id)), view(nat.causalChain(id)), `chain ${id}`)
  t.is(fb.delete('b'), nat.delete('b'))
  t.is(fb.delete('b'), nat.delete('b'))
  t.deepEqual(view(fb.list()), view(nat.list()))
  for (const [what, call] of [
    ['empty id', (s) => s.put('', new Uint8Array(), 1, null, '{}')],
    ['long parent', (s) => s.put('x', new Uint8Array(), 1, 'p'.repeat(2049), '{}')],
    ['createdAt', (s) => s.put('x', new Uint8Array(), NaN, null, '{}')],
    ['metadata value', (s) => s.put('x', new Uint8Array(), 1, null, '{"k": 1}')],
    ['metadata array', (s) => s.put('x', new Uint8Array(), 1, null, '[]')],
  ]) {
    t.is(t.throws(() => call(fb))?.message, t.throws(() => call(nat))?.message, what)
  }
  fb.close()
  nat.close()
  t.is(t.throws(() => fb.count())?.message, t.throws(() => nat.count())?.message, 'closed')
})
