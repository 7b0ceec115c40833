#!/usr/bin/env node
/**
 * The cost of the fallback: the native core against the pure TypeScript core (used when no native
 * binary loads), in the same process, on the same seeded data, through the same `NativeCollection`
 * interface the backends use. Prints add throughput and single-query / batch search latency with ratios.
 *
 * Run:   node benchmark/fallback.js
 * Quick: N=20000 DIM=128 node benchmark/fallback.js
 * Environment: N [100000], DIM [384], K [10], QUERIES [40] single queries per core, BATCH [64], SEED [7].
 */
'use strict'

const { FallbackCollection } = require('../dist/fallback/collection.js')
const binding = require('../index.js')
const { mulberry32 } = require('./seeded')

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt)
const N = env('N', 100_000)
const DIM = env('DIM', 384)
const K = env('K', 10)
const QUERIES = env('QUERIES', 40)
const BATCH = env('BATCH', 64)
const SEED = env('SEED', 7)

const rand = mulberry32(SEED)
const rows = new Float32Array(N * DIM).map(() => rand() * 2 - 1)
const ids = Array.from({ length: N }, (_, i) => `doc-${i}`)
const queries = new Float32Array(Math.max(QUERIES, BATCH) * DIM).map(() => rand() * 2 - 1)

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

function measure(name, make) {
  const c = make()
  let t0 = process.hrtime.bigint()
  c.upsert(ids, rows, null)
  const addMs = ms(t0)
  const single = []
  for (let q = 0; q < QUERIES; q++) {
    t0 = process.hrtime.bigint()
    c.search(queries.subarray(q * DIM, (q + 1) * DIM), K, null, null)
    single.push(ms(t0))
  }
  t0 = process.hrtime.bigint()
  c.searchBatch(queries.subarray(0, BATCH * DIM), K, null, null)
  const batchMs = ms(t0)
  const top = c.search(queries.subarray(0, DIM), K, null, null).map((h) => h.id)
  c.close()
  return { name, addMs, p50: pct(single, 50), p99: pct(single, 99), batchQps: (BATCH / batchMs) * 1000, top }
}

const native = measure(`native (${binding.nativeInfo().isa})`, () => new binding.NativeCollection(DIM, 'cosine'))
const fallback = measure('TypeScript fallback', () => new FallbackCollection(DIM, 'cosine'))
if (native.top.join() !== fallback.top.join()) throw new Error(`the cores disagree: ${native.top} vs ${fallback.top}`)

const mb = (N * DIM * 4) / 1e6
console.log(`${N} × ${DIM} float32 (${mb.toFixed(1)} MB), cosine, k=${K}; node ${process.version}; same top-${K} from both cores`)
console.log('| core | add (GB/s) | single p50 | single p99 | batch of ' + BATCH + ' (q/s) |')
console.log('|---|---|---|---|---|')
for (const r of [native, fallback]) {
  console.log(`| ${r.name} | ${(mb / r.addMs).toFixed(2)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.batchQps.toFixed(0)} |`)
}
console.log(
  `fallback time / native time: add ${(fallback.addMs / native.addMs).toFixed(2)}, single-query p50 ${(fallback.p50 / native.p50).toFixed(1)}; ` +
    `batch throughput native / fallback: ${(native.batchQps / fallback.batchQps).toFixed(1)}`,
)
