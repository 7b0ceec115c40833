#!/usr/bin/env node
/**
 * D-gent tier benchmark: the questions issue 3 asks, on a real on-disk store.
 *   1. Reopen: replaying a store of N × DIM vectors (1,000,000 × 384 ≈ 1.5 GB by default), against the
 *      time to read the same file from the page cache (the floor for any open that reads its bytes).
 *   2. Sustained addBatch of BATCH-vector batches with fsync (sequential and WRITERS concurrent).
 *   3. Search: the D-gent store against the Memory tier on the same 100k rows (same core).
 *
 * Run:   node --expose-gc benchmark/dgent-tier.js
 * Quick: N=100000 node --expose-gc benchmark/dgent-tier.js
 * Overrides: N [1000000], DIM [384], BATCH [1000], BATCHES [300], WRITERS [4], OPENS [3], QUERIES [200],
 *            DIR [a fresh dir under the OS temp dir; removed at the end].
 */
'use strict'

const { mulberry32: rng } = require('./seeded')

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
let vgent
try {
  vgent = require('vgent')
} catch {
  vgent = require('../dist/index.js')
}
const { DgentVectorBackend, MemoryVectorBackend, nativeInfo } = vgent

const env = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt)
const N = env('N', 1_000_000)
const DIM = env('DIM', 384)
const BATCH = env('BATCH', 1000)
const BATCHES = env('BATCHES', 300)
const WRITERS = env('WRITERS', 4)
const OPENS = env('OPENS', 3)
const QUERIES = env('QUERIES', 200)
const root = process.env.DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'vgent-dgent-bench-'))

function randomRows(n, seed) {
  const r = rng(seed)
  const v = new Float32Array(n * DIM)
  for (let i = 0; i < v.length; i++) v[i] = r() * 2 - 1
  return v
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (x, d = 1) => x.toFixed(d)

/** Reads the whole file through one reused 64 MiB buffer: page cache → user memory, nothing else. */
function readFileTime(file) {
  const buf = Buffer.allocUnsafe(64 << 20)
  const fd = fs.openSync(file, 'r')
  const t0 = process.hrtime.bigint()
  let total = 0
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, total)
    if (n === 0) break
    total += n
  }
  const t = ms(t0)
  fs.closeSync(fd)
  return { t, bytes: total }
}

async function reopenBench() {
  const dir = path.join(root, 'reopen')
  const chunk = 50_000
  let store = await DgentVectorBackend.open({ dimension: DIM, dataDir: dir, durability: 'none' })
  const t0 = process.hrtime.bigint()
  for (let at = 0; at < N; at += chunk) {
    const n = Math.min(chunk, N - at)
    const ids = Array.from({ length: n }, (_, i) => `doc-${String(at + i).padStart(7, '0')}`)
    await store.addBatch({ ids, vectors: randomRows(n, at + 1) })
  }
  const loadMs = ms(t0)
  await store.close()
  const file = path.join(dir, 'data.log')
  const size = fs.statSync(file).size
  readFileTime(file) // warm the page cache
  const reads = []
  const opens = []
  const firstSearches = []
  const query = randomRows(1, 12345)
  for (let i = 0; i < OPENS; i++) {
    reads.push(readFileTime(file).t)
    global.gc?.()
    const t1 = process.hrtime.bigint()
    store = await DgentVectorBackend.open({ dimension: DIM, dataDir: dir })
    opens.push(ms(t1))
    // The first search after an open reads every row once (from the page cache, through the map).
    const t2 = process.hrtime.bigint()
    await store.search(query, { limit: 10 })
    firstSearches.push(ms(t2))
    if ((await store.count()) !== N) throw new Error('reopen lost vectors')
    await store.close()
    store = null
    global.gc?.()
  }
  return { size, loadMs, read: median(reads), open: median(opens), reads, opens, firstSearches }
}

async function fsyncBench() {
  const rows = randomRows(BATCH, 7)
  const run = async (writers) => {
    const dir = path.join(root, `fsync-${writers}`)
    const store = await DgentVectorBackend.open({ dimension: DIM, dataDir: dir, durability: 'fsync' })
    let next = 0
    const t0 = process.hrtime.bigint()
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < BATCHES) {
          const b = next++
          const ids = Array.from({ length: BATCH }, (_, i) => `b${b}-${i}`)
          await store.addBatch({ ids, vectors: rows })
        }
      }),
    )
    const t = ms(t0)
    await store.close()
    return { t, perSec: (BATCHES * BATCH) / (t / 1000), mbPerSec: (BATCHES * BATCH * DIM * 4) / 1e6 / (t / 1000) }
  }
  return { sequential: await run(1), concurrent: await run(WRITERS) }
}

async function searchBench() {
  const n = 100_000
  const data = randomRows(n, 99)
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`)
  const mem = new MemoryVectorBackend({ dimension: DIM })
  await mem.addBatch({ ids, vectors: data })
  let dg = await DgentVectorBackend.open({ dimension: DIM, dataDir: path.join(root, 'search'), durability: 'none' })
  await dg.addBatch({ ids, vectors: data })
  // Searched as a persisted store is: reopened, its rows read in place from the log.
  await dg.close()
  dg = await DgentVectorBackend.open({ dimension: DIM, dataDir: path.join(root, 'search') })
  const queries = randomRows(QUERIES, 5)
  const tm = []
  const td = []
  for (let q = 0; q < QUERIES; q++) {
    const query = queries.subarray(q * DIM, (q + 1) * DIM)
    const order = q % 2 === 0 ? [[mem, tm], [dg, td]] : [[dg, td], [mem, tm]]
    const results = []
    for (const [s, out] of order) {
      const t0 = process.hrtime.bigint()
      results.push(await s.search(query, { limit: 10 }))
      out.push(ms(t0))
    }
    if (results[0][0].id !== results[1][0].id) throw new Error('the tiers disagree on a top-1')
  }
  await mem.close()
  await dg.close()
  return { memory: median(tm), dgent: median(td) }
}

async function main() {
  console.log(`vgent D-gent tier benchmark · node ${process.version} · isa ${nativeInfo().isa} · ${os.cpus().length} cpus · dir ${root}`)
  const r = await reopenBench()
  const f = await fsyncBench()
  const s = await searchBench()
  const gb = r.size / 1e9
  console.log(`
| question                                             | measured                                   | target            |
| ---------------------------------------------------- | ------------------------------------------ | ----------------- |
| reopen ${N} × ${DIM} (${fmt(gb, 2)} GB log), median of ${OPENS}      | ${fmt(r.open, 0)} ms (${fmt(gb / (r.open / 1000), 2)} GB/s)                        |                   |
| read the same file from the page cache, median       | ${fmt(r.read, 0)} ms (${fmt(gb / (r.read / 1000), 2)} GB/s)                        |                   |
| reopen / read                                        | ${fmt(r.open / r.read, 2)}×                                      | ≤ 2×  ${r.open / r.read <= 2 ? 'PASS' : 'MISS'}       |
| addBatch ${BATCH} × ${DIM}, fsync, 1 writer                | ${fmt(f.sequential.perSec, 0)} vectors/s (${fmt(f.sequential.mbPerSec, 0)} MB/s)             | ≥ 50,000/s ${f.sequential.perSec >= 50000 ? 'PASS' : 'MISS'}  |
| addBatch ${BATCH} × ${DIM}, fsync, ${WRITERS} concurrent writers    | ${fmt(f.concurrent.perSec, 0)} vectors/s (${fmt(f.concurrent.mbPerSec, 0)} MB/s)             | ≥ 50,000/s ${f.concurrent.perSec >= 50000 ? 'PASS' : 'MISS'}  |
| search p50, 100k × ${DIM}, k=10: D-gent (reopened) / Memory | ${fmt(s.dgent, 2)} / ${fmt(s.memory, 2)} ms = ${fmt(s.dgent / s.memory, 2)}×                 | ≈ 1×              |
`)
  console.log(`initial load of the reopen store (durability none): ${fmt(r.loadMs, 0)} ms; reopen samples ${r.opens.map((x) => fmt(x, 0)).join(', ')} ms; first search after each reopen ${r.firstSearches.map((x) => fmt(x, 0)).join(', ')} ms; read samples ${r.reads.map((x) => fmt(x, 0)).join(', ')} ms`)
  if (!process.env.DIR) fs.rmSync(root, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  if (!process.env.DIR) fs.rmSync(root, { recursive: true, force: true })
  process.exit(1)
})
