#!/usr/bin/env node
/**
 * Memory-tier benchmark: vgent's MemoryVectorBackend against, in the same process and the same run,
 *   - a naive JS store (Map<string, number[]>, cosine in JS per entry, sort everything, take top-k),
 *   - usearch's exact (brute-force) search (`exactSearch`, metric 'cos'),
 *   - the machine's streaming read bandwidth (store bytes / measured GB/s = a lower bound for a scan).
 *
 * Run:   node --expose-gc benchmark/memory-tier.js
 * Quick: N=20000 DIM=128 QUERIES=100 node --expose-gc benchmark/memory-tier.js
 *
 * Environment overrides (defaults in brackets):
 *   N [100000] rows, DIM [384], K [10], QUERIES [400] single queries per contender,
 *   NAIVE_EVERY [10] (one naive query every NAIVE_EVERY single queries; 0 = skip the naive store),
 *   BW_EVERY [4] (one interleaved bandwidth sample every BW_EVERY single queries),
 *   BATCH [256] queries per batch call, BATCH_REPS [5], ADD_REPS [3], CHECK [5] verified queries,
 *   SEED [42].
 *
 * Method: every contender's top-k is checked against a float64 brute force for CHECK queries before
 * anything is timed; single queries alternate between contenders (and which goes first); the naive
 * store, being ~20x+ slower, is sampled every NAIVE_EVERY-th iteration, with a GC after it (untimed) so
 * its garbage is not collected inside someone else's timing.
 */
'use strict'

const { mulberry32 } = require('./seeded')

const assert = require('node:assert/strict')
const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')

let vgent
try {
  vgent = require('vgent')
} catch {
  vgent = require('../dist/index.js')
}
const { MemoryVectorBackend, nativeInfo } = vgent
const usearch = require('usearch')

// ---- configuration -------------------------------------------------------------------------------

const env = (name, dflt) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`)
  return n
}
const N = env('N', 100_000)
const DIM = env('DIM', 384)
const K = env('K', 10)
const QUERIES = env('QUERIES', 400)
const NAIVE_EVERY = env('NAIVE_EVERY', 10)
const BW_EVERY = env('BW_EVERY', 4)
const BATCH = env('BATCH', 256)
const BATCH_REPS = env('BATCH_REPS', 5)
const ADD_REPS = env('ADD_REPS', 3)
const CHECK = env('CHECK', 5)
const SEED = env('SEED', 42)
const USEARCH_THREADS = 1 // the single-query comparison is one thread against one thread

const gc = typeof global.gc === 'function' ? global.gc : null
if (!gc) console.warn('warning: run with --expose-gc for meaningful RSS numbers and GC isolation')
const collect = () => {
  if (gc) {
    gc()
    gc()
  }
}

// ---- helpers -------------------------------------------------------------------------------------

const now = () => process.hrtime.bigint()
const ms = (t0, t1) => Number(t1 - t0) / 1e6
const rss = () => process.memoryUsage.rss()
const MB = (b) => b / 1e6

/** Fills `out` with standard normals (Box–Muller) from a seeded generator. */
function fillGaussian(out, rand) {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rand()
    const v = rand()
    const r = Math.sqrt(-2 * Math.log(u))
    out[i] = r * Math.cos(2 * Math.PI * v)
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v)
  }
  return out
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[i]
}
const sortNum = (a) => Float64Array.from(a).sort()
const median = (a) => percentile(sortNum(a), 0.5)
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length

// ---- contenders ----------------------------------------------------------------------------------

/** The seed design: a Map of number[], cosine computed in JS per entry, sort everything. */
class NaiveStore {
  constructor() {
    this.map = new Map()
  }

  add(id, vector) {
    this.map.set(id, Array.from(vector))
  }

  static cosine(a, b) {
    let dot = 0
    let na = 0
    let nb = 0
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i]
      na += a[i] * a[i]
      nb += b[i] * b[i]
    }
    return dot / (Math.sqrt(na) * Math.sqrt(nb))
  }

  search(query, k) {
    const q = Array.from(query)
    const scored = []
    for (const [id, v] of this.map) scored.push({ id, similarity: NaiveStore.cosine(q, v) })
    scored.sort((a, b) => b.similarity - a.similarity)
    return scored.slice(0, k)
  }
}

/**
 * usearch exact search over the caller's buffer. NB: usearch 2.26's binding reads
 * `typedArray.ArrayBuffer().Data()` and ignores `byteOffset`, so every array handed to it must start at
 * offset 0 of its buffer (a `subarray` silently searches the wrong query); we assert that.
 */
function usearchExact(dataset, queries, k, threads) {
  assert.equal(dataset.byteOffset, 0)
  assert.equal(queries.byteOffset, 0)
  return usearch.exactSearch(dataset, queries, DIM, k, 'cos', threads)
}

function usearchVersion() {
  try {
    const dir = path.dirname(require.resolve('usearch'))
    for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
      const p = path.join(d, 'package.json')
      if (fs.existsSync(p)) {
        const j = JSON.parse(fs.readFileSync(p, 'utf8'))
        if (j.name === 'usearch') return j.version
      }
    }
  } catch {
    // fall through
  }
  return '?'
}

// ---- bandwidth -----------------------------------------------------------------------------------

/**
 * Streaming read bandwidth, in process, without compiling anything: `buf.indexOf(byte)` on a buffer
 * that does not contain the byte is glibc `memchr` over the whole buffer — one sequential read stream
 * in vectorised native code, the same access pattern as an exact scan, with no writes. `Buffer.compare`
 * of two equal buffers (`memcmp`, two read streams) is reported as a second opinion.
 */
class Bandwidth {
  constructor(bytes) {
    this.bytes = bytes
    this.a = Buffer.allocUnsafeSlow(bytes).fill(0x5a) // fill = every page really backed by memory
    this.b = null
  }

  /** One memchr pass; returns ms. */
  memchr() {
    const t0 = now()
    const i = this.a.indexOf(0x01)
    const t1 = now()
    assert.equal(i, -1)
    return ms(t0, t1)
  }

  /** One memcmp pass over two buffers of `bytes`; returns ms for 2 × bytes read. */
  memcmp() {
    this.b ??= Buffer.allocUnsafeSlow(this.bytes).fill(0x5a)
    const t0 = now()
    const c = Buffer.compare(this.a, this.b)
    const t1 = now()
    assert.equal(c, 0)
    return ms(t0, t1)
  }

  dropSecond() {
    this.b = null
  }
}
const gbps = (bytes, millis) => bytes / (millis * 1e6)

// ---- correctness oracle --------------------------------------------------------------------------

/** float64 brute-force cosine of `q` against every row: the reference scores. */
function referenceScores(data, q) {
  let qn = 0
  for (let j = 0; j < DIM; j++) qn += q[j] * q[j]
  qn = Math.sqrt(qn)
  const out = new Float64Array(N)
  for (let r = 0; r < N; r++) {
    const o = r * DIM
    let dot = 0
    let rn = 0
    for (let j = 0; j < DIM; j++) {
      const x = data[o + j]
      dot += x * q[j]
      rn += x * x
    }
    out[r] = dot / (Math.sqrt(rn) * qn)
  }
  return out
}

/**
 * A list of row indices is a correct top-k when it has k distinct rows, each scoring at least the
 * true k-th best (within float32 rounding), in non-increasing reference order (same tolerance).
 */
function checkTopK(name, rows, ref, k) {
  const kth = sortNum(ref).reverse()[k - 1]
  const tol = 1e-5
  assert.equal(rows.length, k, `${name}: ${rows.length} results, expected ${k}`)
  assert.equal(new Set(rows).size, k, `${name}: duplicate results`)
  rows.forEach((r, i) => {
    assert.ok(ref[r] >= kth - tol, `${name}: result ${i} (row ${r}, ${ref[r]}) is not in the true top-${k} (k-th = ${kth})`)
    if (i > 0) assert.ok(ref[rows[i - 1]] >= ref[r] - tol, `${name}: results out of order at ${i}`)
  })
}

// ---- main ----------------------------------------------------------------------------------------

async function main() {
  const info = nativeInfo()
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] ?? os.cpus()[0]?.model
  const storeBytes = N * DIM * 4
  console.log(`vgent Memory-tier benchmark — N=${N} DIM=${DIM} k=${K} cosine, seed ${SEED}`)
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${cpu}), vgent native isa=${info.isa} v${info.version}, usearch ${usearchVersion()}`)
  console.log(`store: ${MB(storeBytes).toFixed(1)} MB of float32 vectors\n`)

  // Data: seeded Gaussian rows; queries are perturbed rows (so each has a true near neighbour) .
  const rand = mulberry32(SEED)
  let t0 = now()
  const data = fillGaussian(new Float32Array(N * DIM), rand)
  const ids = Array.from({ length: N }, (_, i) => `doc-${String(i).padStart(7, '0')}`)
  const idBytes = ids.reduce((s, id) => s + Buffer.byteLength(id), 0)
  const rowOf = (id) => Number(id.slice(4))
  const makeQuery = () => {
    const q = fillGaussian(new Float32Array(DIM), rand) // fresh buffer, byteOffset 0 (see usearchExact)
    const src = Math.floor(rand() * N) * DIM
    for (let j = 0; j < DIM; j++) q[j] = data[src + j] + 0.5 * q[j]
    return q
  }
  const singles = Array.from({ length: Math.max(QUERIES, CHECK) }, makeQuery)
  const batch = new Float32Array(BATCH * DIM)
  for (let i = 0; i < BATCH; i++) batch.set(makeQuery(), i * DIM)
  console.log(`generated data in ${ms(t0, now()).toFixed(0)} ms`)

  // ---- RSS and the store used for searching (first thing after the data, so no freed memory is reused)
  collect()
  const rss0 = rss()
  const store = new MemoryVectorBackend({ dimension: DIM, metric: 'cosine' })
  t0 = now()
  await store.addBatch({ ids, vectors: data })
  const firstAddMs = ms(t0, now())
  collect()
  await new Promise((r) => setTimeout(r, 50))
  collect()
  const rssVgent = rss() - rss0
  assert.equal(await store.count(), N)

  // ---- add throughput: fresh store per repetition, one addBatch of everything
  const addMs = [firstAddMs]
  for (let r = 0; r < ADD_REPS; r++) {
    const s = new MemoryVectorBackend({ dimension: DIM, metric: 'cosine' })
    collect()
    t0 = now()
    await s.addBatch({ ids, vectors: data })
    addMs.push(ms(t0, now()))
    await s.close()
  }
  collect()

  // ---- the naive store: build (timed) and its RSS
  let naive = null
  let naiveAddMs = NaN
  let rssNaive = NaN
  if (NAIVE_EVERY > 0) {
    collect()
    const r0 = rss()
    naive = new NaiveStore()
    t0 = now()
    for (let i = 0; i < N; i++) naive.add(ids[i], data.subarray(i * DIM, (i + 1) * DIM))
    naiveAddMs = ms(t0, now())
    collect()
    rssNaive = rss() - r0
  }

  // ---- bandwidth: a standalone best-of, then interleaved samples during the single-query loop
  const bw = new Bandwidth(storeBytes)
  const bwStandalone = { memchr: [], memcmp: [] }
  for (let r = 0; r < 7; r++) {
    bwStandalone.memchr.push(bw.memchr())
    bwStandalone.memcmp.push(bw.memcmp())
  }
  bw.dropSecond()
  collect()

  // ---- correctness, before any timing
  console.log(`checking top-${K} of ${CHECK} queries against a float64 brute force ...`)
  for (let i = 0; i < CHECK; i++) {
    const q = singles[i]
    const ref = referenceScores(data, q)
    const v = await store.search(q, { limit: K })
    checkTopK('vgent', v.map((h) => rowOf(h.id)), ref, K)
    v.forEach((h) => assert.ok(Math.abs(h.similarity - ref[rowOf(h.id)]) < 1e-4, 'vgent similarity'))
    const vb = (await store.searchBatch(q, { limit: K }))[0]
    assert.deepEqual(vb.map((h) => h.id), v.map((h) => h.id), 'vgent searchBatch == search')
    const u = usearchExact(data, q, K, USEARCH_THREADS)
    checkTopK('usearch', Array.from(u.keys, Number), ref, K)
    if (naive) checkTopK('naive', naive.search(q, K).map((h) => rowOf(h.id)), ref, K)
  }
  // The batch path once, whole: every row of vgent's batch equals usearch's batch exact result as a set.
  {
    const vb = await store.searchBatch(batch, { limit: K })
    const ub = usearchExact(data, batch, K, 0)
    let mismatched = 0
    for (let i = 0; i < BATCH; i++) {
      const a = new Set(vb[i].map((h) => rowOf(h.id)))
      const b = Array.from(ub.get(i).keys, Number)
      if (!b.every((x) => a.has(x))) mismatched++
    }
    assert.ok(mismatched <= Math.ceil(BATCH * 0.01), `searchBatch differs from usearch on ${mismatched}/${BATCH} queries`)
    console.log(`ok (batch of ${BATCH}: ${mismatched} queries differ from usearch as sets, ties/rounding allowed ≤1%)\n`)
  }

  // ---- single-query latency, interleaved
  for (let i = 0; i < 5; i++) {
    // warm-up, untimed
    await store.search(singles[i], { limit: K })
    usearchExact(data, singles[i], K, USEARCH_THREADS)
  }
  const lat = { vgent: [], usearch: [], naive: [], bw: [] }
  let top1Disagree = 0
  for (let i = 0; i < QUERIES; i++) {
    const q = singles[i]
    let v
    let u
    const runV = async () => {
      const a = now()
      v = await store.search(q, { limit: K })
      lat.vgent.push(ms(a, now()))
    }
    const runU = () => {
      const a = now()
      u = usearchExact(data, q, K, USEARCH_THREADS)
      lat.usearch.push(ms(a, now()))
    }
    if (i % 2 === 0) {
      await runV()
      runU()
    } else {
      runU()
      await runV()
    }
    if (BW_EVERY > 0 && i % BW_EVERY === BW_EVERY - 1) lat.bw.push(bw.memchr())
    if (rowOf(v[0].id) !== Number(u.keys[0])) top1Disagree++
    if (naive && i % NAIVE_EVERY === NAIVE_EVERY - 1) {
      const a = now()
      const r = naive.search(q, K)
      lat.naive.push(ms(a, now()))
      if (r[0].id !== v[0].id) top1Disagree++
      collect() // untimed: keep the naive store's garbage out of the others' timings
    }
  }

  // ---- batch throughput, interleaved
  const bt = { vgent: [], usearch1: [], usearchAll: [] }
  for (let r = 0; r < BATCH_REPS; r++) {
    const runs = [
      async () => {
        const a = now()
        await store.searchBatch(batch, { limit: K })
        bt.vgent.push(ms(a, now()))
      },
      async () => {
        const a = now()
        usearchExact(data, batch, K, 1)
        bt.usearch1.push(ms(a, now()))
      },
      async () => {
        const a = now()
        usearchExact(data, batch, K, os.cpus().length)
        bt.usearchAll.push(ms(a, now()))
      },
    ]
    for (let j = 0; j < runs.length; j++) await runs[(j + r) % runs.length]()
    collect()
  }

  // ---- report
  const stats = (a) => {
    const s = sortNum(a)
    return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), mean: mean(a), n: a.length }
  }
  const S = { vgent: stats(lat.vgent), usearch: stats(lat.usearch), naive: stats(lat.naive) }
  const bwMemchrBest = Math.max(...bwStandalone.memchr.map((t) => gbps(storeBytes, t)))
  const bwMemcmpBest = Math.max(...bwStandalone.memcmp.map((t) => gbps(2 * storeBytes, t)))
  const bwScan = stats(lat.bw.length ? lat.bw : bwStandalone.memchr) // ms to stream the store once
  const bwMedianGBs = gbps(storeBytes, bwScan.p50)
  const boundMs = bwScan.p50 // store bytes / median interleaved bandwidth
  const boundBestMs = storeBytes / (bwMemchrBest * 1e6)

  const qps = (msPerQuery) => 1000 / msPerQuery
  const singleQps = { vgent: qps(S.vgent.mean), usearch: qps(S.usearch.mean), naive: qps(S.naive.mean) }
  const batchQps = {
    vgent: (BATCH * 1000) / median(bt.vgent),
    usearch1: (BATCH * 1000) / median(bt.usearch1),
    usearchAll: (BATCH * 1000) / median(bt.usearchAll),
  }
  const addSorted = sortNum(addMs.slice(1))
  const addBest = gbps(storeBytes, addSorted[0])
  const addMed = gbps(storeBytes, percentile(addSorted, 0.5))
  const rawBytes = storeBytes + idBytes

  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a')
  const row = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
  const W = [34, 14, 16, 14, 16]
  const lines = []
  const out = (s = '') => {
    lines.push(s)
    console.log(s)
  }
  out(`| ${row(['metric', 'vgent memory', `usearch exact`, 'naive JS', 'bandwidth bound'], W)} |`)
  out(`| ${W.map((w, i) => (i === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join('  ')} |`)
  const t = (cells) => out(`| ${row(cells, W)} |`)
  t([`add, GB/s (best / median of ${ADD_REPS})`, `${f(addBest)} / ${f(addMed)}`, 'n/a (no copy)', f(gbps(storeBytes, naiveAddMs)), '—'])
  t([`single query p50, ms (k=${K})`, f(S.vgent.p50), f(S.usearch.p50) + ' (1 thr)', f(S.naive.p50, 1), f(boundMs) + ' (memchr)'])
  t([`single query p99, ms`, f(S.vgent.p99), f(S.usearch.p99), f(S.naive.p99, 1), f(bwScan.p99)])
  t([`single query throughput, q/s`, f(singleQps.vgent, 0), f(singleQps.usearch, 0), f(singleQps.naive, 1), f(qps(bwScan.mean), 0)])
  t([`batch of ${BATCH}, q/s, 1 thread`, '(n/a: all cores)', f(batchQps.usearch1, 0), 'n/a', '—'])
  t([`batch of ${BATCH}, q/s, ${os.cpus().length} threads`, f(batchQps.vgent, 0), f(batchQps.usearchAll, 0), 'n/a', '—'])
  t([`RSS delta after load, MB`, f(MB(rssVgent), 1), '0 (caller buf)', f(MB(rssNaive), 1), f(MB(rawBytes), 1) + ' (raw)'])
  out()
  out(`samples: ${S.vgent.n} single queries each for vgent and usearch (alternating, first mover alternating), ${S.naive.n} naive, ` +
    `${lat.bw.length} interleaved bandwidth scans; ${BATCH_REPS} batch rounds (median); top-1 disagreements: ${top1Disagree}`)
  out(`bandwidth: memchr (1 stream) median ${f(bwMedianGBs, 1)} GB/s interleaved, best ${f(bwMemchrBest, 1)} GB/s standalone; ` +
    `memcmp (2 streams) best ${f(bwMemcmpBest, 1)} GB/s; bound = ${f(MB(storeBytes), 1)} MB / bandwidth = ${f(boundMs)} ms (median), ${f(boundBestMs)} ms (best)`)
  out(`vgent first addBatch (the searched store, cold): ${f(firstAddMs, 1)} ms = ${f(gbps(storeBytes, firstAddMs))} GB/s; ` +
    `raw bytes = ${f(MB(storeBytes), 1)} MB vectors + ${f(MB(idBytes), 2)} MB ids`)
  out()
  out('ratios:')
  const ratios = {
    vsUsearch: S.vgent.p50 / S.usearch.p50,
    vsBound: S.vgent.p50 / boundMs,
    vsBoundBest: S.vgent.p50 / boundBestMs,
    naiveSpeedup: S.naive.p50 / S.vgent.p50,
    batchGain: batchQps.vgent / singleQps.vgent,
    batchVsUsearchAll: batchQps.vgent / batchQps.usearchAll,
    rss: rssVgent / rawBytes,
  }
  out(`  vgent p50 / usearch exact p50 (1 thread each)  ${f(ratios.vsUsearch, 3)}`)
  out(`  vgent p50 / bandwidth bound                     ${f(ratios.vsBound, 3)} (median bw), ${f(ratios.vsBoundBest, 3)} (best bw)`)
  out(`  naive p50 / vgent p50                           ${f(ratios.naiveSpeedup, 1)}x`)
  out(`  vgent batch q/s / vgent single q/s              ${f(ratios.batchGain, 1)}x`)
  out(`  vgent batch q/s / usearch batch q/s (all cores) ${f(ratios.batchVsUsearchAll, 2)}`)
  out(`  vgent RSS delta / raw bytes (vectors + ids)     ${f(ratios.rss, 3)}`)
  out()
  const targets = [
    ['single-query p50 ≤ usearch exact p50 (1 thread)', ratios.vsUsearch <= 1, `${f(S.vgent.p50)} vs ${f(S.usearch.p50)} ms`],
    ['single-query p50 ≤ 1.3 × bandwidth bound', ratios.vsBound <= 1.3, `${f(ratios.vsBound, 3)}×`],
    ['single-query p50 ≥ 20 × faster than naive', ratios.naiveSpeedup >= 20, `${f(ratios.naiveSpeedup, 1)}×`],
    ['batch q/s well above single q/s (≥ 3×)', ratios.batchGain >= 3, `${f(ratios.batchGain, 1)}×`],
    ['addBatch from one Float32Array ≥ 1 GB/s (median)', addMed >= 1, `${f(addMed)} GB/s (best ${f(addBest)})`],
    ['RSS ≤ 1.2 × (vector bytes + id bytes)', ratios.rss <= 1.2, `${f(ratios.rss, 3)}×`],
  ]
  out('targets:')
  for (const [name, ok, detail] of targets) out(`  ${ok ? 'PASS' : 'MISS'}  ${name.padEnd(52)} ${detail}`)

  if (process.env.BENCH_JSON) {
    fs.writeFileSync(path.resolve(process.env.BENCH_JSON), JSON.stringify({ N, DIM, K, info, cpu, node: process.version, lat, bt, addMs, naiveAddMs, rssVgent, rssNaive, bwStandalone, ratios }, null, 1))
  }
  await store.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
