// The Postgres + pgvector tier against a real PostgreSQL 15 with the real extension, started by
// scripts/postgres-test.sh: the conformance suite (exact, index 'none'; and its fixed-data cases again
// with the default HNSW index), plus concurrency, injection attempts, a server restart mid-workload,
// HNSW recall on clustered data, and the tier's own options and errors.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { PostgresVectorBackend, VgentError } from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'
import { registerCrudCases } from './conformance/cases-crud.mjs'
import { registerSearchCases } from './conformance/cases-search.mjs'
import { registerFilterCases } from './conformance/cases-filter.mjs'
import { registerErrorCases } from './conformance/cases-errors.mjs'
import { bruteForce, mulberry32, randomMatrix, rejectsWith } from './conformance/helpers.mjs'
import { TestServer, freePort, mainServer } from './postgres/server.mjs'

const main = mainServer(test)

if (main) {
  const { url } = main
  // One pool for the many conformance stores (each test opens its own table), so that the suite's
  // concurrency does not exhaust the server's connections. It also exercises the `pool` option.
  const shared = new pg.Pool({ connectionString: url, max: 24 })
  const admin = new pg.Pool({ connectionString: url, max: 4 })
  // The server stops in an after hook that may run before these pools end: their idle clients then
  // see "terminating connection", which without a listener is an uncaught exception.
  for (const pool of [shared, admin]) pool.on('error', () => {})
  test.after.always(async () => {
    await shared.end()
    await admin.end()
  })

  let serial = 0
  const freshNamespace = (prefix) => `${prefix}_${process.pid}_${serial++}`
  const tableOf = (store) => `"vgent_${store.namespace}"`
  const dropStore = (store) => admin.query(`DROP TABLE IF EXISTS ${tableOf(store)}`)

  runConformanceSuite(test, {
    name: 'postgres',
    create: (opts) => PostgresVectorBackend.open({ ...opts, pool: shared, namespace: freshNamespace('conf'), index: 'none' }),
    teardown: dropStore,
  })

  // The fixed-data cases once more through the default HNSW index. On tables this small the planner
  // would pick a sequential scan, so this pool turns those off: the index path (ORDER BY distance, the
  // tie check, the short-result fallback, iterative filtered scans) is what answers. With ef_search
  // above the row count the index must agree with exact search.
  const indexOnly = new pg.Pool({ connectionString: url, max: 12, options: '-c enable_seqscan=off' })
  indexOnly.on('error', () => {})
  test.after.always(() => indexOnly.end())
  const hnswCtx = {
    name: 'postgres-hnsw',
    test: (title, fn) => test(`[postgres-hnsw] ${title}`, fn),
    async open(t, { dimension, metric = 'cosine' }) {
      const store = await PostgresVectorBackend.open({ dimension, metric, pool: indexOnly, namespace: freshNamespace('hnsw') })
      t.teardown(async () => {
        await store.close()
        await dropStore(store)
      })
      return store
    },
  }
  registerCrudCases(hnswCtx)
  registerSearchCases(hnswCtx)
  registerFilterCases(hnswCtx)
  registerErrorCases(hnswCtx)

  /** Opens a store on a fresh namespace that is dropped when the test ends. */
  async function openFresh(t, opts) {
    const store = await PostgresVectorBackend.open({ url, namespace: freshNamespace('x'), ...opts })
    t.teardown(async () => {
      await store.close()
      await dropStore(store)
    })
    return store
  }

  // ---- schema, options, errors ---------------------------------------------------------------

  test('[postgres] one table per namespace with the documented columns, an HNSW index by default', async (t) => {
    const store = await openFresh(t, { dimension: 4, metric: 'dot_product' })
    t.deepEqual(store.index, { kind: 'hnsw', halfvec: false })
    t.regex(store.extensionVersion, /^\d+\.\d+\.\d+$/)
    const cols = await admin.query(
      `SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [`vgent_${store.namespace}`],
    )
    t.deepEqual(cols.rows.map((r) => [r.column_name, r.udt_name]), [
      ['id', 'text'],
      ['embedding', 'vector'],
      ['metadata', 'jsonb'],
      ['created_at', 'timestamptz'],
      ['updated_at', 'timestamptz'],
    ])
    const idx = await admin.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [`vgent_${store.namespace}`])
    t.true(idx.rows.some((r) => /USING hnsw \(embedding vector_ip_ops\)/.test(r.indexdef)), JSON.stringify(idx.rows))
    // The planner uses that index for the store's search shape.
    await store.addBatch(Array.from({ length: 5000 }, (_, i) => ({ id: `r${i}`, vector: [i % 97, 1, -i, 2] })))
    await admin.query(`ANALYZE ${tableOf(store)}`)
    const plan = await admin.query(`EXPLAIN SELECT id FROM ${tableOf(store)} ORDER BY embedding <#> '[1,2,3,4]' LIMIT 5`)
    t.regex(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Index Scan using/)
  })

  test('[postgres] every metric gets its operator class; IVFFlat refuses manhattan', async (t) => {
    const ops = { cosine: 'vector_cosine_ops', dot_product: 'vector_ip_ops', euclidean: 'vector_l2_ops', manhattan: 'vector_l1_ops' }
    for (const [metric, opclass] of Object.entries(ops)) {
      const store = await openFresh(t, { dimension: 3, metric })
      const idx = await admin.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [`vgent_${store.namespace}`])
      t.true(idx.rows.some((r) => r.indexdef.includes(opclass)), `${metric}: ${JSON.stringify(idx.rows)}`)
    }
    const ivf = await openFresh(t, { dimension: 3, metric: 'euclidean', index: 'ivfflat' })
    t.is(ivf.index.kind, 'ivfflat')
    await ivf.addBatch([{ id: 'a', vector: [1, 0, 0] }, { id: 'b', vector: [0, 1, 0] }])
    t.deepEqual((await ivf.search([1, 0, 0], { limit: 2 })).map((r) => r.id), ['a', 'b'])
    const e = await t.throwsAsync(PostgresVectorBackend.open({ url, dimension: 3, metric: 'manhattan', index: 'ivfflat', namespace: freshNamespace('x') }), { instanceOf: VgentError })
    t.is(e.code, 'INVALID_ARGUMENT')
    t.regex(e.message, /IVFFlat/)
  })

  test('[postgres] above 2,000 dims the index is a halfvec expression; above 4,000 there is none, said plainly', async (t) => {
    const wide = await openFresh(t, { dimension: 2048, metric: 'cosine' })
    t.is(wide.index.kind, 'hnsw')
    t.true(wide.index.halfvec)
    t.regex(wide.index.note, /halfvec/)
    const idx = await admin.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [`vgent_${wide.namespace}`])
    t.true(idx.rows.some((r) => /halfvec_cosine_ops/.test(r.indexdef)), JSON.stringify(idx.rows))
    const rand = mulberry32(2048)
    const m = randomMatrix(rand, 30, 2048)
    await wide.addBatch({ ids: Array.from({ length: 30 }, (_, i) => `w${i}`), vectors: m })
    const [top] = await wide.search(m.subarray(7 * 2048, 8 * 2048), { limit: 3 })
    t.is(top.id, 'w7')
    t.true(Math.abs(top.similarity - 1) < 1e-6, 'distance is full precision, not halfvec')

    const wider = await openFresh(t, { dimension: 4100, metric: 'euclidean' })
    t.is(wider.index.kind, 'none')
    t.regex(wider.index.note, /no index/)
    await rejectsWith(t, () => PostgresVectorBackend.open({ url, dimension: 16_001 }), 'INVALID_ARGUMENT', '16,001 dims')
  })

  test('[postgres] reopening a namespace keeps its data; another dimension or metric is STORE_MISMATCH', async (t) => {
    const namespace = freshNamespace('reopen')
    const a = await PostgresVectorBackend.open({ url, namespace, dimension: 3, metric: 'euclidean' })
    t.teardown(() => dropStore(a))
    await a.add('k', [1, 2, 3], { v: 1 })
    await a.close()
    const b = await PostgresVectorBackend.open({ url, namespace, dimension: 3, metric: 'euclidean' })
    t.deepEqual((await b.get('k')).metadata, { v: 1 })
    await b.close()
    const e1 = await rejectsWith(t, () => PostgresVectorBackend.open({ url, namespace, dimension: 4, metric: 'euclidean' }), 'STORE_MISMATCH', 'dimension')
    t.regex(e1.message, /"dimension":3/)
    await rejectsWith(t, () => PostgresVectorBackend.open({ url, namespace, dimension: 3, metric: 'cosine' }), 'STORE_MISMATCH', 'metric')
    // A table of the same name that vgent did not create is never adopted.
    const foreign = freshNamespace('foreign')
    await admin.query(`CREATE TABLE "vgent_${foreign}" (id int)`)
    t.teardown(() => admin.query(`DROP TABLE IF EXISTS "vgent_${foreign}"`))
    const e2 = await rejectsWith(t, () => PostgresVectorBackend.open({ url, namespace: foreign, dimension: 3 }), 'STORE_MISMATCH', 'foreign table')
    t.regex(e2.message, /not created by vgent/)
  })

  // Serial: it counts every vgent table, which the concurrent tests create and drop.
  test.serial('[postgres] bad options are typed errors and touch nothing', async (t) => {
    const before = (await admin.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'vgent%'")).rows[0].n
    const bad = [
      { url, dimension: 3, namespace: 'x"; DROP TABLE vgent_default; --' },
      { url, dimension: 3, namespace: 'Robert\'); DROP' },
      { url, dimension: 3, namespace: '' },
      { url, dimension: 3, namespace: 'a'.repeat(49) },
      { url, dimension: 3, namespace: 'UPPER' },
      { url, dimension: 3, namespace: 'x.y' },
      { url, dimension: 3, index: 'btree' },
      { url, dimension: 3, metric: 'hamming' },
      { url, dimension: 0 },
      { url, dimension: 3, hnsw: { m: 1 } },
      { url, dimension: 3, hnsw: { efSearch: '40; SET x' } },
      { dimension: 3, url: '' },
    ]
    for (const opts of bad) await rejectsWith(t, () => PostgresVectorBackend.open(opts), 'INVALID_ARGUMENT', JSON.stringify(opts))
    t.is((await admin.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'vgent%'")).rows[0].n, before)
  })

  test('[postgres] an unreachable server is BACKEND_UNAVAILABLE, and probe() reports it without throwing', async (t) => {
    const e = await rejectsWith(t, () => PostgresVectorBackend.open({ url: 'postgres://postgres@127.0.0.1:1/postgres', dimension: 3 }), 'BACKEND_UNAVAILABLE', 'open')
    t.regex(e.message, /ECONNREFUSED/)
    const down = await PostgresVectorBackend.probe({ url: 'postgres://postgres@127.0.0.1:1/postgres', timeoutMs: 1000 })
    t.false(down.ok)
    t.is(down.error.code, 'BACKEND_UNAVAILABLE')
    t.true(down.latencyMs >= 0)
    const up = await PostgresVectorBackend.probe({ url })
    t.true(up.ok)
    t.regex(up.extensionVersion, /^\d+\.\d+/)
    t.regex(up.serverVersion, /^15/)
    t.is(up.iterativeScan, true)
    t.true(up.latencyMs > 0 && up.roundTripMs > 0 && up.roundTripMs <= up.latencyMs)
    const store = await openFresh(t, { dimension: 2 })
    t.true((await store.probe()).ok)
  })

  test('[postgres] $KGENTS_POSTGRES_URL is the default url', async (t) => {
    // Only this test opens without a url or a pool, so setting the variable here affects no other test.
    const saved = process.env.KGENTS_POSTGRES_URL
    process.env.KGENTS_POSTGRES_URL = url
    let store
    try {
      store = await PostgresVectorBackend.open({ namespace: freshNamespace('envurl'), dimension: 2 })
      t.true((await PostgresVectorBackend.probe()).ok, 'probe() also defaults to it')
    } finally {
      if (saved === undefined) delete process.env.KGENTS_POSTGRES_URL
      else process.env.KGENTS_POSTGRES_URL = saved
    }
    t.teardown(async () => {
      await store.close()
      await dropStore(store)
    })
    await store.add('a', [1, 2])
    const direct = await admin.query(`SELECT id FROM ${tableOf(store)}`)
    t.deepEqual(direct.rows, [{ id: 'a' }], 'the store wrote to the server named by the variable')
  })

  test('[postgres] probe() gives up after its timeout on a server that accepts connections but never answers', async (t) => {
    const sockets = new Set()
    // The probe's client drops its socket when it gives up: that 'error' must not be uncaught here.
    const silent = createServer((s) => sockets.add(s.on('error', () => {})))
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve))
    t.teardown(() => {
      for (const s of sockets) s.destroy()
      silent.close()
    })
    const probe = await PostgresVectorBackend.probe({ url: `postgres://postgres@127.0.0.1:${silent.address().port}/postgres`, timeoutMs: 300 })
    t.false(probe.ok)
    t.is(probe.error.code, 'BACKEND_UNAVAILABLE')
    t.regex(probe.error.message, /timeout|timed out/i)
    t.true(sockets.size >= 1, 'the probe did connect; it was the answer that never came')
  })

  test('[postgres] a database without pgvector, where the role may not create it, is a clear error naming the extension', async (t) => {
    const db = `vgent_noext_${process.pid}`
    await admin.query(`DROP DATABASE IF EXISTS ${db}`)
    await admin.query(`CREATE DATABASE ${db}`)
    await admin.query('DROP ROLE IF EXISTS vgent_plain').catch(() => {})
    await admin.query('CREATE ROLE vgent_plain LOGIN')
    await admin.query(`REVOKE CREATE ON DATABASE ${db} FROM PUBLIC`)
    t.teardown(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
      await admin.query('DROP ROLE IF EXISTS vgent_plain')
    })
    const plainUrl = url.replace('postgres@', 'vgent_plain@').replace(/\/postgres$/, `/${db}`)
    const e = await rejectsWith(t, () => PostgresVectorBackend.open({ url: plainUrl, dimension: 3 }), 'BACKEND_UNAVAILABLE', 'no extension')
    t.regex(e.message, /extension "vector"/)
    t.regex(e.message, /CREATE EXTENSION vector/)
    const probe = await PostgresVectorBackend.probe({ url: plainUrl })
    t.is(probe.extensionVersion, undefined)
    t.regex(probe.extensionAvailable, /^\d+\.\d+/)
  })

  test('[postgres] without the pg package installed, the error says what to install', (t) => {
    // A child process in which resolving 'pg' fails, as it would without the optional peer dependency.
    const hook = fileURLToPath(new URL('./postgres/hide-pg.cjs', import.meta.url))
    const out = execFileSync(process.execPath, ['-r', hook, '-e', `
      const { PostgresVectorBackend, MemoryVectorBackend } = require('vgent')
      new MemoryVectorBackend({ dimension: 2 }) // the rest of vgent loads fine without pg
      PostgresVectorBackend.open({ url: 'postgres://x@127.0.0.1:1/x', dimension: 2 })
        .then(() => console.log('opened?'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))
    `], { encoding: 'utf8' })
    const { code, message } = JSON.parse(out)
    t.is(code, 'BACKEND_UNAVAILABLE')
    t.regex(message, /npm install pg pgvector/)
  })

  // ---- injection ------------------------------------------------------------------------------

  test('[postgres] injection attempts in ids, metadata keys and values, and filters are plain data', async (t) => {
    const store = await openFresh(t, { dimension: 2, metric: 'euclidean' })
    const canary = await openFresh(t, { dimension: 2 })
    await canary.add('alive', [1, 1])
    const evil = [
      `'; DROP TABLE ${tableOf(canary)}; --`,
      `" OR 1=1 --`,
      `x = $1`,
      `?`,
      `\\'; SELECT pg_sleep(10); --`,
      `x') OR ('1'='1`,
      `::jsonb`,
      `{"a":1}`,
      `%s%n`,
      `back\\slash`,
    ]
    const rows = evil.map((s, i) => ({ id: s, vector: [i, 1], metadata: { [s]: s, tags: [s], n: i } }))
    await store.addBatch(rows)
    t.is(await store.count(), evil.length)
    for (const [i, s] of evil.entries()) {
      const e = await store.get(s)
      t.is(e.id, s)
      t.deepEqual(e.metadata, { [s]: s, tags: [s], n: i })
      t.true(await store.exists(s))
      // Each evil string finds exactly its own row, as key, as value, in $in, and as a contained tag.
      const only = async (filter) => (await store.search([0, 0], { limit: 100, filter })).map((r) => r.id)
      t.deepEqual(await only({ [s]: s }), [s], `key/value ${s}`)
      t.deepEqual(await only({ tags: s }), [s], `tag ${s}`)
      t.deepEqual(await only({ tags: { $in: [s, 'nothing'] } }), [s], `$in ${s}`)
      t.deepEqual(await only({ [s]: { $exists: true } }), [s], `$exists ${s}`)
      t.is((await only({ [s]: { $gt: 0 } })).length, 0, `$gt on a string ${s}`)
    }
    t.is((await store.search([0, 0], { limit: 100, filter: { "n') OR TRUE --": { $exists: false } } })).length, evil.length)
    for (const s of evil) t.true(await store.remove(s))
    t.is(await store.count(), 0)
    t.is(await canary.count(), 1, 'the other table is untouched')
    t.true(await canary.exists('alive'))
  })

  test('[postgres] NUL characters, which Postgres cannot store, are refused with the input\'s code or match nothing', async (t) => {
    const store = await openFresh(t, { dimension: 2 })
    await store.add('a', [1, 0], { k: 'v' })
    await rejectsWith(t, () => store.add('nul\0id', [1, 1]), 'INVALID_ID', 'id')
    await rejectsWith(t, () => store.add('b', [1, 1], { k: 'a\0b' }), 'INVALID_ARGUMENT', 'value')
    await rejectsWith(t, () => store.addBatch([{ id: 'c', vector: [1, 1] }, { id: 'd', vector: [1, 1], metadata: { ['k\0']: 1 } }]), 'INVALID_ARGUMENT', 'key')
    t.is(await store.count(), 1)
    t.is(await store.get('nul\0id'), null)
    t.false(await store.exists('nul\0id'))
    t.false(await store.remove('nul\0id'))
    t.deepEqual((await store.search([1, 0], { filter: { k: 'v\0' } })).length, 0)
    t.deepEqual((await store.search([1, 0], { filter: { k: { $ne: 'v\0' } } })).length, 1)
    t.deepEqual((await store.search([1, 0], { filter: { ['k\0']: { $exists: false } } })).length, 1)
  })

  // ---- concurrency ------------------------------------------------------------------------------

  test('[postgres] many clients adding and searching at once lose no writes', async (t) => {
    const namespace = freshNamespace('conc')
    const clients = await Promise.all(Array.from({ length: 8 }, () => PostgresVectorBackend.open({ url, namespace, dimension: 8, metric: 'euclidean' })))
    t.teardown(async () => {
      await Promise.all(clients.map((c) => c.close()))
      await admin.query(`DROP TABLE IF EXISTS "vgent_${namespace}"`)
    })
    const rand = mulberry32(8)
    const perClient = 150
    const work = clients.map(async (store, c) => {
      for (let i = 0; i < perClient; i++) {
        const v = Array.from(randomMatrix(rand, 1, 8))
        if (i % 10 === 0) {
          await store.addBatch(Array.from({ length: 5 }, (_, j) => ({ id: `c${c}-b${i}-${j}`, vector: v, metadata: { c, j } })))
        } else {
          await store.add(`c${c}-${i}`, v, { c, i })
        }
        await store.add(`shared-${i % 20}`, v, { by: c }) // contended upserts of the same ids
        const hits = await store.search(v, { limit: 3, filter: { c } })
        t.true(hits.length >= 1 && hits.every((h) => h.metadata.c === c))
      }
    })
    await Promise.all(work)
    const expected = clients.length * (perClient - perClient / 10 + (perClient / 10) * 5) + 20
    t.is(await clients[0].count(), expected)
    for (let c = 0; c < clients.length; c++) {
      t.deepEqual((await clients[c].get(`c${c}-7`)).metadata, { c, i: 7 })
      t.true(await clients[(c + 1) % clients.length].exists(`c${c}-b40-4`))
    }
  })

  // ---- ANN quality and filtered index scans ----------------------------------------------------

  test('[postgres] HNSW recall@10 on clustered data is at least 0.95 against exact search; filtered searches fill limit', async (t) => {
    const n = 6000
    const dim = 32
    const clusters = 40
    const rand = mulberry32(6000)
    const centers = randomMatrix(rand, clusters, dim)
    const vectors = new Float32Array(n * dim)
    const metadata = []
    for (let i = 0; i < n; i++) {
      const c = i % clusters
      for (let d = 0; d < dim; d++) vectors[i * dim + d] = centers[c * dim + d] * 3 + (rand() - 0.5) * 0.8
      metadata.push({ cluster: c, rare: i % 500 === 0, bucket: i % 7 })
    }
    const ids = Array.from({ length: n }, (_, i) => `p${i}`)
    const store = await openFresh(t, { dimension: dim, metric: 'cosine' })
    await store.addBatch({ ids, vectors, metadata })
    await admin.query(`ANALYZE ${tableOf(store)}`)
    const rows = ids.map((id, i) => ({ id, vector: vectors.subarray(i * dim, (i + 1) * dim), metadata: metadata[i] }))
    const queries = 40
    let hits = 0
    for (let q = 0; q < queries; q++) {
      const c = q % clusters
      const query = Float32Array.from({ length: dim }, (_, d) => centers[c * dim + d] * 3 + (rand() - 0.5) * 0.8)
      const got = await store.search(query, { limit: 10 })
      const want = new Set(bruteForce('cosine', rows, query, { limit: 10 }).map((r) => r.id))
      hits += got.filter((r) => want.has(r.id)).length
      // Filtered: the iterative index scan keeps going until `limit` rows pass the filter.
      const filtered = await store.search(query, { limit: 10, filter: { bucket: 3, cluster: { $ne: c } } })
      t.is(filtered.length, 10)
      t.true(filtered.every((r) => r.metadata.bucket === 3 && r.metadata.cluster !== c))
      // Only 12 rows are rare: all of them come back, ranked exactly.
      const rare = await store.search(query, { limit: 20, filter: { rare: true } })
      t.deepEqual(rare.map((r) => r.id), bruteForce('cosine', rows, query, { limit: 20, match: (m) => m.rare }).map((r) => r.id))
    }
    const recall = hits / (queries * 10)
    t.log(`HNSW recall@10 = ${recall.toFixed(4)}`)
    t.true(recall >= 0.95, `recall@10 ${recall}`)
  })

  // ---- restart mid-workload -------------------------------------------------------------------

  test('[postgres] a server restart mid-workload: BACKEND_UNAVAILABLE while down, recovery after, nothing half-written', async (t) => {
    // Its own server instance, so the rest of the file keeps running against the main one.
    const server = new TestServer({ port: freePort(), root: `/tmp/vgent-pg-restart-${process.pid}` })
    const error = server.startSync()
    if (error) return t.fail(`restart server: ${error}`)
    t.teardown(() => server.destroy())
    // index 'none' and 512 dims: each 2,000-row batch is several INSERT statements in one transaction.
    const dim = 512
    const store = await PostgresVectorBackend.open({ url: server.url, dimension: dim, metric: 'euclidean', index: 'none', connectTimeoutMs: 2000 })
    t.teardown(() => store.close())
    const rand = mulberry32(16)
    const batchSize = 2000
    const acknowledged = new Set()
    const errors = []
    let started = 0
    let stop = false
    const loop = (async () => {
      for (let b = 0; !stop; b++) {
        started = b
        const ids = Array.from({ length: batchSize }, (_, i) => `b${b}-${i}`)
        try {
          await store.addBatch({ ids, vectors: randomMatrix(rand, batchSize, dim), metadata: ids.map(() => ({ b })) })
          acknowledged.add(b)
        } catch (e) {
          errors.push(e)
        }
        try {
          await store.search(randomMatrix(rand, 1, dim), { limit: 5, filter: { b } })
        } catch (e) {
          errors.push(e)
        }
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    const until = async (cond, what) => {
      for (let waited = 0; !cond(); waited += 50) {
        if (waited > 60_000) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    await until(() => acknowledged.size >= 2, 'two batches before the restart')
    await server.stop()
    // While down: calls fail fast with BACKEND_UNAVAILABLE.
    await rejectsWith(t, () => store.count(), 'BACKEND_UNAVAILABLE', 'count while down')
    await rejectsWith(t, () => store.add('x', new Float32Array(dim).fill(1)), 'BACKEND_UNAVAILABLE', 'add while down')
    await new Promise((r) => setTimeout(r, 300))
    await server.start()
    const firstAfter = started + 1
    await until(() => [...acknowledged].some((b) => b >= firstAfter), 'a batch after the restart')
    stop = true
    await loop
    t.true(errors.length > 0, 'the workload saw the outage')
    for (const e of errors) t.is(e.code, 'BACKEND_UNAVAILABLE', e.message)
    // The pool recovered: the same store works again.
    t.is(await store.add('after', new Float32Array(dim).fill(1)), 'after')
    t.true(await store.exists('after'))
    // Every batch is all or nothing, and every acknowledged batch is complete.
    const direct = new pg.Client({ connectionString: server.url })
    await direct.connect()
    const counts = await direct.query(`SELECT (metadata->>'b')::int AS b, count(*)::int AS n FROM vgent_default WHERE id <> 'after' GROUP BY 1`)
    await direct.end()
    const byBatch = new Map(counts.rows.map((r) => [r.b, r.n]))
    for (const [b, n] of byBatch) t.is(n, batchSize, `batch ${b} is complete, not half-written`)
    for (const b of acknowledged) t.is(byBatch.get(b), batchSize, `acknowledged batch ${b} survived`)
    t.log(`${acknowledged.size} batches acknowledged of ${started + 1}; ${errors.length} calls failed during the outage`)
  })
}
