#!/usr/bin/env node
/**
 * Postgres-tier benchmark: PostgresVectorBackend against the same work written by hand as pgvector SQL
 * through `pg` (the adapter's overhead), beside the local tiers (Memory, D-gent) on the same data.
 *
 * Run:   node benchmark/postgres.js            (starts scripts/postgres-test.sh, or uses $KGENTS_POSTGRES_URL)
 * Quick: N=20000 QUERIES=100 node benchmark/postgres.js
 *
 * Environment (defaults in brackets): N [100000] rows, DIM [384], K [10], QUERIES [300] per contender,
 * CHUNK [10000] rows per addBatch call, SEED [42].
 *
 * Method: both Postgres contenders get an identical table (vector(DIM), jsonb metadata, HNSW cosine index
 * with m=16, ef_construction=64 created before loading) and load the same rows in CHUNK-row transactions
 * of multi-row INSERT ... SELECT unnest(...) ON CONFLICT upserts. Searches cycle through every order
 * of the contenders with the same query; the raw SQL runs with the same session settings the
 * adapter uses (hnsw.ef_search = 100, iterative scans) and the same result shape (id, metadata, distance).
 * Two separately built HNSW graphs answer at different speeds, so the raw SQL is also run against the
 * adapter's own table: that pair differs only in the adapter, and is the overhead figure for search.
 */
'use strict'

const { mulberry32 } = require('./seeded')

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

let vgent
try {
  vgent = require('vgent')
} catch {
  vgent = require('../dist/index.js')
}
const { PostgresVectorBackend, MemoryVectorBackend, DgentVectorBackend } = vgent
const pg = require('pg')
const pgvector = require('pgvector')

const env = (name, dflt) => {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}
const N = env('N', 100_000)
const DIM = env('DIM', 384)
const K = env('K', 10)
const QUERIES = env('QUERIES', 300)
const CHUNK = env('CHUNK', 10_000)
const SEED = env('SEED', 42)

/** Clustered data (100 centres + noise): closer to real embeddings than uniform noise. */
function makeData(rand) {
  const centres = Float32Array.from({ length: 100 * DIM }, () => rand() * 2 - 1)
  const vectors = new Float32Array(N * DIM)
  for (let i = 0; i < N; i++) {
    const c = i % 100
    for (let d = 0; d < DIM; d++) vectors[i * DIM + d] = centres[c * DIM + d] + (rand() - 0.5) * 0.6
  }
  const ids = Array.from({ length: N }, (_, i) => `doc-${i}`)
  const metadata = Array.from({ length: N }, (_, i) => ({ i, bucket: i % 10, tags: [`t${i % 7}`] }))
  const queries = Float32Array.from({ length: QUERIES * DIM }, (_, j) => centres[(j / DIM | 0) % 100 * DIM + (j % DIM)] + (rand() - 0.5) * 0.6)
  return { ids, vectors, metadata, queries }
}

const row = (m, i) => m.subarray(i * DIM, (i + 1) * DIM)
const ORDERS = [
  ['adapter', 'raw', 'rawSame'], ['adapter', 'rawSame', 'raw'], ['raw', 'adapter', 'rawSame'],
  ['raw', 'rawSame', 'adapter'], ['rawSame', 'adapter', 'raw'], ['rawSame', 'raw', 'adapter'],
]
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const fmt = (x, d = 2) => x.toFixed(d)

function serverUrl() {
  if (process.env.KGENTS_POSTGRES_URL) return process.env.KGENTS_POSTGRES_URL
  return execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'postgres-test.sh'), 'start'], { encoding: 'utf8' }).trim()
}

// ---- the hand-written contender --------------------------------------------------------------

async function rawSetup(pool, table) {
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.query(`CREATE TABLE ${table} (
    id text COLLATE "C" PRIMARY KEY, embedding vector(${DIM}) NOT NULL, metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`)
  await pool.query(`CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`)
}

async function rawInsert(pool, table, data, from, to) {
  const client = await pool.connect()
  try {
    const ids = data.ids.slice(from, to)
    const vecs = []
    const mds = []
    for (let i = from; i < to; i++) {
      vecs.push(pgvector.toSql(Array.from(row(data.vectors, i))))
      mds.push(JSON.stringify(data.metadata[i]))
    }
    await client.query('BEGIN')
    const step = Math.floor(8_000_000 / (DIM * 20))
    for (let s = 0; s < ids.length; s += step) {
      await client.query(
        `INSERT INTO ${table} (id, embedding, metadata) SELECT * FROM unnest($1::text[], $2::vector[], $3::jsonb[])
         ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata, updated_at = now()`,
        [ids.slice(s, s + step), vecs.slice(s, s + step), mds.slice(s, s + step)],
      )
    }
    await client.query('COMMIT')
  } finally {
    client.release()
  }
}

async function rawSearch(client, table, q) {
  const r = await client.query(
    `SELECT id, metadata, embedding <=> $1::vector AS d FROM ${table} ORDER BY embedding <=> $1::vector LIMIT $2`,
    [pgvector.toSql(Array.from(q)), K],
  )
  return r.rows.map((x) => ({ id: x.id, similarity: 1 - x.d, distance: x.d, metadata: x.metadata }))
}

// ---- run ---------------------------------------------------------------------------------------

async function timeLoad(load) {
  const t0 = performance.now()
  for (let from = 0; from < N; from += CHUNK) await load(from, Math.min(N, from + CHUNK))
  return (performance.now() - t0) / 1000
}

async function main() {
  const url = serverUrl()
  const data = makeData(mulberry32(SEED))
  console.log(`Postgres tier benchmark: N=${N} DIM=${DIM} K=${K} QUERIES=${QUERIES} CHUNK=${CHUNK}; ${os.cpus()[0].model}, ${os.cpus().length} CPUs`)

  const admin = new pg.Pool({ connectionString: url, max: 2 })
  await admin.query('DROP TABLE IF EXISTS vgent_bench_adapter')
  const server = (await admin.query("SELECT current_setting('server_version') AS v, (SELECT extversion FROM pg_extension WHERE extname='vector') AS e")).rows[0]
  console.log(`PostgreSQL ${server.v}, pgvector ${server.e}, ${url.replace(/\/\/[^@]*@/, '//')}`)

  // Insert: adapter and raw SQL chunk by chunk in turn (each into its own HNSW-indexed table), so that
  // both see the same graph sizes and the same noise from whatever else the machine is doing.
  const adapter = await PostgresVectorBackend.open({ url, namespace: 'bench_adapter', dimension: DIM, metric: 'cosine' })
  const rawPool = new pg.Pool({ connectionString: url, max: 2 })
  await rawSetup(rawPool, 'bench_raw')
  let adapterLoad = 0
  let rawLoad = 0
  for (let from = 0, c = 0; from < N; from += CHUNK, c++) {
    const to = Math.min(N, from + CHUNK)
    const runs = {
      adapter: () => adapter.addBatch({ ids: data.ids.slice(from, to), vectors: data.vectors.subarray(from * DIM, to * DIM), metadata: data.metadata.slice(from, to) }),
      raw: () => rawInsert(rawPool, 'bench_raw', data, from, to),
    }
    for (const who of c % 2 === 0 ? ['adapter', 'raw'] : ['raw', 'adapter']) {
      const t0 = performance.now()
      await runs[who]()
      const s = (performance.now() - t0) / 1000
      if (who === 'adapter') adapterLoad += s
      else rawLoad += s
    }
    process.stderr.write(`  loaded ${to}/${N} (adapter ${fmt(adapterLoad, 1)} s, raw ${fmt(rawLoad, 1)} s)\n`)
  }
  await admin.query('ANALYZE vgent_bench_adapter')
  await admin.query('ANALYZE bench_raw')

  // Search: alternate contenders on the same query.
  const rawClient = await rawPool.connect()
  await rawClient.query("SELECT set_config('hnsw.ef_search', '100', false), set_config('hnsw.iterative_scan', 'strict_order', false)")
  // No index: the load is much faster, every search is an exact scan (also the ground truth for recall).
  await admin.query('DROP TABLE IF EXISTS vgent_bench_exact')
  const exact = await PostgresVectorBackend.open({ url, namespace: 'bench_exact', dimension: DIM, metric: 'cosine', index: 'none' })
  const exactLoad = await timeLoad((from, to) =>
    exact.addBatch({ ids: data.ids.slice(from, to), vectors: data.vectors.subarray(from * DIM, to * DIM), metadata: data.metadata.slice(from, to) }),
  )
  await admin.query('ANALYZE vgent_bench_exact')
  const times = { adapter: [], raw: [], rawSame: [], adapterFiltered: [], exact: [] }
  let agree = 0
  let recallHits = 0
  const recallQueries = Math.min(QUERIES, 30)
  for (let i = 0; i < 10; i++) { // warm-up
    await adapter.search(row(data.queries, i), { limit: K })
    await rawSearch(rawClient, 'bench_raw', row(data.queries, i))
    await rawSearch(rawClient, 'vgent_bench_adapter', row(data.queries, i))
  }
  for (let i = 0; i < QUERIES; i++) {
    const q = row(data.queries, i)
    // All six orders in turn: each contender runs right after each other one equally often (the
    // query's pages are warm for whoever runs after a contender on the same table).
    const order = ORDERS[i % ORDERS.length]
    let a, r
    for (const who of order) {
      const t0 = performance.now()
      if (who === 'adapter') a = await adapter.search(q, { limit: K })
      else if (who === 'raw') r = await rawSearch(rawClient, 'bench_raw', q)
      else await rawSearch(rawClient, 'vgent_bench_adapter', q)
      times[who].push(performance.now() - t0)
    }
    if (a.length === K && r.length === K) agree += a.filter((x) => r.some((y) => y.id === x.id)).length / K
    let t0 = performance.now()
    await adapter.search(q, { limit: K, filter: { bucket: 3, tags: 't2' } })
    times.adapterFiltered.push(performance.now() - t0)
    if (i < recallQueries) {
      t0 = performance.now()
      const truth = await exact.search(q, { limit: K })
      times.exact.push(performance.now() - t0)
      recallHits += a.filter((x) => truth.some((y) => y.id === x.id)).length
    }
  }
  rawClient.release()

  // The local tiers on the same data (exact scans).
  const mem = new MemoryVectorBackend({ dimension: DIM, metric: 'cosine' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgent-bench-pg-'))
  const dg = await DgentVectorBackend.open({ dimension: DIM, metric: 'cosine', dataDir: dir })
  const local = {}
  for (const [name, store] of [['Memory', mem], ['D-gent (fsync)', dg]]) {
    const load = await timeLoad((from, to) =>
      store.addBatch({ ids: data.ids.slice(from, to), vectors: data.vectors.subarray(from * DIM, to * DIM), metadata: data.metadata.slice(from, to) }),
    )
    const ts = []
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now()
      await store.search(row(data.queries, i), { limit: K })
      ts.push(performance.now() - t0)
    }
    local[name] = { load, ts }
  }

  const p50 = (xs) => pct(xs, 50)
  const lines = [
    '| contender | insert (rows/s) | search p50 (ms) | search p95 (ms) |',
    '|---|---:|---:|---:|',
    `| PostgresVectorBackend (HNSW) | ${fmt(N / adapterLoad, 0)} | ${fmt(p50(times.adapter))} | ${fmt(pct(times.adapter, 95))} |`,
    `| hand-written pgvector SQL via pg (HNSW) | ${fmt(N / rawLoad, 0)} | ${fmt(p50(times.raw))} | ${fmt(pct(times.raw, 95))} |`,
    `| hand-written SQL on the adapter's own table | | ${fmt(p50(times.rawSame))} | ${fmt(pct(times.rawSame, 95))} |`,
    `| PostgresVectorBackend, filtered {bucket: 3, tags: 't2'} | | ${fmt(p50(times.adapterFiltered))} | ${fmt(pct(times.adapterFiltered, 95))} |`,
    `| PostgresVectorBackend, index 'none' (exact) | ${fmt(N / exactLoad, 0)} | ${fmt(p50(times.exact))} | ${fmt(pct(times.exact, 95))} |`,
    ...Object.entries(local).map(([name, x]) => `| ${name} (exact) | ${fmt(N / x.load, 0)} | ${fmt(p50(x.ts))} | ${fmt(pct(x.ts, 95))} |`),
  ]
  console.log(lines.join('\n'))
  console.log(`adapter / raw: insert time ${fmt(adapterLoad / rawLoad, 3)}x, search p50 ${fmt(p50(times.adapter) / p50(times.raw), 3)}x (separate tables)`)
  console.log(`adapter / raw SQL on the same table: search p50 ${fmt(p50(times.adapter) / p50(times.rawSame), 3)}x, p95 ${fmt(pct(times.adapter, 95) / pct(times.rawSame, 95), 3)}x`)
  console.log(`top-${K} overlap adapter vs raw: ${fmt(agree / QUERIES, 3)}; HNSW recall@${K} vs exact: ${fmt(recallHits / (recallQueries * K), 3)} (${recallQueries} queries)`)

  await adapter.close()
  await exact.close()
  await mem.close()
  await dg.close()
  fs.rmSync(dir, { recursive: true, force: true })
  await admin.query('DROP TABLE IF EXISTS vgent_bench_adapter')
  await admin.query('DROP TABLE IF EXISTS vgent_bench_exact')
  await admin.query('DROP TABLE IF EXISTS bench_raw')
  await rawPool.end()
  await admin.end()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
