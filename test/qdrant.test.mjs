// The Qdrant tier. There is no Qdrant server on the test machines, so the whole conformance suite
// runs through the real JS client against the stand-in (test/qdrant-standin/server.py: Qdrant's
// REST endpoints answered by the official Python qdrant-client in local mode), started here. When
// KGENTS_QDRANT_URL is set, the same suite and checks also run against that real server.
import test from 'ava'
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { QdrantClient } from '@qdrant/js-client-rest'
import { QDRANT_POINT_ID_NAMESPACE, QdrantVectorBackend, VgentError, qdrantPointId } from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'
import { findStandinPython, startStandin } from './qdrant-standin/start.mjs'

const python = findStandinPython()
const noSkip = process.env.VGENT_NO_SKIP === '1'
const missing =
  'the Qdrant stand-in needs Python with qdrant-client: run scripts/qdrant-standin-setup.sh ' +
  '(or set VGENT_QDRANT_STANDIN_PYTHON to a python that can import qdrant_client)'
if (!python) {
  if (noSkip) test('[qdrant-standin] the stand-in can be started', (t) => t.fail(missing))
  else console.warn(`\n*** SKIPPING the Qdrant stand-in tests: ${missing} ***\n`)
}

let standin
test.before(async () => {
  if (python) standin = await startStandin(python)
})
test.after.always(async () => {
  await standin?.stop()
})

const realUrl = process.env.KGENTS_QDRANT_URL
const targets = [
  { name: 'qdrant-standin', enabled: python !== null, url: () => standin.url, apiKey: () => undefined },
  ...(realUrl
    ? [{ name: 'qdrant-server', enabled: true, url: () => realUrl, apiKey: () => process.env.KGENTS_QDRANT_API_KEY || undefined }]
    : []),
]

let serial = 0
const freshCollection = () => `vgent_test_${process.pid}_${Date.now().toString(36)}_${serial++}`

for (const target of targets) {
  const it = target.enabled ? test : test.skip
  const T = (title, fn) => it(`[${target.name}] ${title}`, fn)
  const admin = () => new QdrantClient({ url: target.url(), apiKey: target.apiKey(), checkCompatibility: false })
  /** Opens a store on a fresh collection that is dropped when the test ends. */
  const openFresh = async (t, opts) => {
    const collection = opts.collection ?? freshCollection()
    t.teardown(() => admin().deleteCollection(collection).catch(() => {}))
    return QdrantVectorBackend.open({ url: target.url(), apiKey: target.apiKey(), collection, timeoutMs: 120_000, ...opts })
  }

  runConformanceSuite(it, {
    name: target.name,
    create: async (opts) => {
      const collection = freshCollection()
      const store = await QdrantVectorBackend.open({ ...opts, url: target.url(), apiKey: target.apiKey(), collection, timeoutMs: 120_000 })
      store.testCollection = collection
      return store
    },
    teardown: (store) => admin().deleteCollection(store.testCollection).catch(() => {}),
  })

  T('points are stored under the UUID v5 of the id, with the id and metadata in the payload', async (t) => {
    const store = await openFresh(t, { dimension: 3, metric: 'euclidean' })
    await store.add('doc-1', [1, 2, 3], { lang: 'en', tags: [] })
    await store.add('doc-1', [4, 5, 6], { lang: 'fr' }) // the same point again: an upsert
    t.is(await store.count(), 1)
    const [point] = await admin().retrieve(store.collection, { ids: ['11a30ec7-9293-5ecb-b896-e7a0e296279c'], with_payload: true, with_vector: true })
    t.truthy(point, 'the point lives under uuid5(namespace, "doc-1")')
    t.is(point.payload._vgent_id, 'doc-1')
    t.deepEqual(point.payload.metadata, { lang: 'fr' })
    t.deepEqual(point.payload._vgent_keys, ['lang'])
    t.deepEqual(point.vector, [4, 5, 6])
    t.false('_vgent_raw' in point.payload, 'the raw vector is kept for cosine collections only')
  })

  T('cosine: Qdrant stores the normalised vector, get() returns the vector as added', async (t) => {
    const store = await openFresh(t, { dimension: 2, metric: 'cosine' })
    await store.add('v', [3, 4])
    const [point] = await admin().retrieve(store.collection, { ids: [qdrantPointId('v')], with_vector: true })
    t.true(Math.abs(point.vector[0] - 0.6) < 1e-6 && Math.abs(point.vector[1] - 0.8) < 1e-6, `stored ${point.vector}`)
    t.deepEqual(Array.from((await store.get('v')).embedding.vector), [3, 4])
  })

  T('a tie larger than the over-fetch is still ordered by id at the cut', async (t) => {
    const store = await openFresh(t, { dimension: 2, metric: 'euclidean' })
    const ids = Array.from({ length: 30 }, (_, i) => `t${String((i * 7) % 30).padStart(2, '0')}`) // scrambled
    await store.addBatch(ids.map((id) => ({ id, vector: [1, 1] })))
    await store.add('near', [0, 0])
    const sorted = [...ids].sort()
    for (const limit of [1, 5, 20, 29]) {
      const got = await store.search([0, 0], { limit: limit + 1 })
      t.deepEqual(got.map((r) => r.id), ['near', ...sorted.slice(0, limit)], `limit ${limit + 1}`)
    }
    const [batch] = await store.searchBatch([[0, 0]], { limit: 4 })
    t.deepEqual(batch.map((r) => r.id), ['near', ...sorted.slice(0, 3)])
    // UTF-8 byte order, not UTF-16 code unit order: U+FF5E sorts before U+1F600 in UTF-8 only.
    const wide = await openFresh(t, { dimension: 2, metric: 'dot_product' })
    await wide.addBatch([{ id: '😀', vector: [1, 0] }, { id: '～', vector: [1, 0] }])
    t.deepEqual((await wide.search([1, 0])).map((r) => r.id), ['～', '😀'])
  })

  T('big batches are sent in chunks and all arrive', async (t) => {
    const dim = 300 // 873 points per request → 3 requests
    const n = 2000
    const store = await openFresh(t, { dimension: dim, metric: 'dot_product' })
    const vectors = new Float32Array(n * dim)
    for (let i = 0; i < n; i++) vectors[i * dim + (i % dim)] = 1 + i / n
    const ids = Array.from({ length: n }, (_, i) => `row-${i}`)
    t.is((await store.addBatch({ ids, vectors, metadata: ids.map((id, i) => ({ i })) })).length, n)
    t.is(await store.count(), n)
    for (const i of [0, 872, 873, 1746, n - 1]) {
      const e = await store.get(`row-${i}`)
      t.deepEqual(Array.from(e.embedding.vector), Array.from(vectors.subarray(i * dim, (i + 1) * dim)), `row ${i}`)
      t.deepEqual(e.metadata, { i })
    }
  })

  T('reopening a collection keeps its points; another size or distance is STORE_MISMATCH', async (t) => {
    const collection = freshCollection()
    const a = await openFresh(t, { collection, dimension: 4, metric: 'cosine' })
    await a.add('kept', [1, 2, 3, 4], { n: 1 })
    await a.close()
    const b = await openFresh(t, { collection, dimension: 4, metric: 'cosine' })
    t.deepEqual((await b.get('kept')).metadata, { n: 1 })
    const size = await t.throwsAsync(openFresh(t, { collection, dimension: 8, metric: 'cosine' }), { instanceOf: VgentError })
    t.is(size.code, 'STORE_MISMATCH')
    t.regex(size.message, /dimension 4 with distance Cosine/)
    t.regex(size.message, /dimension 8 and metric cosine/)
    const metric = await t.throwsAsync(openFresh(t, { collection, dimension: 4, metric: 'manhattan' }), { instanceOf: VgentError })
    t.is(metric.code, 'STORE_MISMATCH')
    t.regex(metric.message, /Manhattan/)
    t.is(await b.count(), 1, 'a refused open changes nothing')
    await b.close()
  })

  T('a collection with named vectors is STORE_MISMATCH', async (t) => {
    const collection = freshCollection()
    t.teardown(() => admin().deleteCollection(collection).catch(() => {}))
    await admin().createCollection(collection, { vectors: { text: { size: 4, distance: 'Cosine' } } })
    const e = await t.throwsAsync(openFresh(t, { collection, dimension: 4 }), { instanceOf: VgentError })
    t.is(e.code, 'STORE_MISMATCH')
    t.regex(e.message, /named vectors/)
  })

  T('the collection name comes from the namespace; indexes are created for vgent keys and declared metadata keys', async (t) => {
    const namespace = `ns_${process.pid}_${serial++}`
    t.teardown(() => admin().deleteCollection(`vgent_${namespace}`).catch(() => {}))
    const store = await QdrantVectorBackend.open({
      url: target.url(),
      apiKey: target.apiKey(),
      namespace,
      dimension: 2,
      indexes: { kind: 'keyword', 'price.usd': 'float' },
    })
    t.is(store.collection, `vgent_${namespace}`)
    const info = await admin().getCollection(store.collection)
    t.deepEqual(Object.keys(info.payload_schema).sort(), ['_vgent_keys', 'metadata."kind"', 'metadata."price.usd"'])
    await store.add('a', [1, 0], { kind: 'x', 'price.usd': 2.5 })
    t.deepEqual((await store.search([1, 0], { filter: { 'price.usd': { $gt: 2 }, kind: 'x' } })).map((r) => r.id), ['a'])
    await store.close()
  })

  T('filter keys Qdrant cannot express are INVALID_FILTER; such keys still round-trip as metadata', async (t) => {
    const store = await openFresh(t, { dimension: 2 })
    const metadata = { 'say "hi"': 'x', 'back\\slash': 'y', 'a[0].b': 'z' }
    await store.add('a', [1, 0], metadata)
    t.deepEqual((await store.get('a')).metadata, metadata)
    for (const key of ['say "hi"', 'back\\slash']) {
      const e = await t.throwsAsync(store.search([1, 0], { filter: { [key]: 'x' } }), { instanceOf: VgentError })
      t.is(e.code, 'INVALID_FILTER', key)
      // $exists does not need a key path.
      t.deepEqual((await store.search([1, 0], { filter: { [key]: { $exists: true } } })).map((r) => r.id), ['a'])
    }
    t.deepEqual((await store.search([1, 0], { filter: { 'a[0].b': 'z' } })).map((r) => r.id), ['a'], 'brackets and dots are quoted')
  })

  T('probe() reports health, version and latency', async (t) => {
    const store = await openFresh(t, { dimension: 2 })
    // The stand-in serialises every call but `/` behind one lock: under the suite's load the probe's
    // authenticated read can wait seconds, hence the long timeouts (not what the probe test is about).
    const p = await store.probe(20_000)
    t.true(p.ok, p.error)
    t.regex(p.version, /^\d+\.\d+\.\d+/)
    t.true(Number.isFinite(p.latencyMs) && p.latencyMs >= 0)
    t.is(p.url, target.url())
    const s = await QdrantVectorBackend.probe({ url: target.url(), apiKey: target.apiKey(), timeoutMs: 20_000 })
    t.true(s.ok, s.error)
    t.is(s.version, p.version)
  })

  T('KGENTS_QDRANT_URL is the default url', async (t) => {
    const saved = process.env.KGENTS_QDRANT_URL
    process.env.KGENTS_QDRANT_URL = target.url()
    try {
      const collection = freshCollection()
      t.teardown(() => admin().deleteCollection(collection).catch(() => {}))
      const store = await QdrantVectorBackend.open({ collection, apiKey: target.apiKey(), dimension: 2 })
      t.is(store.url, target.url())
      t.is(await store.count(), 0)
    } finally {
      if (saved === undefined) delete process.env.KGENTS_QDRANT_URL
      else process.env.KGENTS_QDRANT_URL = saved
    }
  })

  T('exact search and limits beyond the collection size', async (t) => {
    const store = await openFresh(t, { dimension: 2, metric: 'manhattan', exact: true })
    await store.addBatch([{ id: 'a', vector: [0, 0] }, { id: 'b', vector: [1, 1] }, { id: 'c', vector: [5, 5] }])
    t.deepEqual((await store.search([0, 0], { limit: 2 ** 32 - 1 })).map((r) => r.id), ['a', 'b', 'c'])
    t.deepEqual((await store.searchBatch([[5, 5]], { limit: 20_000 }))[0].map((r) => r.id), ['c', 'b', 'a'])
  })

  T('a given client is used as is', async (t) => {
    const collection = freshCollection()
    t.teardown(() => admin().deleteCollection(collection).catch(() => {}))
    const store = await QdrantVectorBackend.open({ client: admin(), collection, dimension: 2, metric: 'dot_product' })
    await store.add('x', [2, 3])
    t.is((await store.search([1, 1]))[0].similarity, 5)
    t.true((await admin().collectionExists(collection)).exists)
  })
}

// ---- without a reachable server ------------------------------------------------------------------

/** A port nothing listens on. */
async function closedPort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('[qdrant] UUID v5 point ids match Python uuid.uuid5 (known answers)', (t) => {
  // python3 -c "import uuid; ns = uuid.uuid5(uuid.NAMESPACE_URL, 'vgent:qdrant-point-id'); print(ns, uuid.uuid5(ns, 'a'))"
  t.is(QDRANT_POINT_ID_NAMESPACE, '716bdc7e-4814-5c48-b542-6ef2fe00b535')
  t.is(qdrantPointId('a'), '21ab0747-b285-5840-916d-2b5bb8f8bc3f')
  t.is(qdrantPointId('doc-1'), '11a30ec7-9293-5ecb-b896-e7a0e296279c')
  t.is(qdrantPointId('ünïcödé-键-🔑'), '8dc23ecf-09ad-5b0b-a0fe-e170f0b065bf')
  t.is(qdrantPointId('x'.repeat(1024)), '669a5a96-0820-5e22-b357-28207105e58c')
  t.is(qdrantPointId('line\nbreak'), '3e1c47f9-fde1-5510-b1e5-6a28ccf1b236')
  t.is(qdrantPointId('a'), qdrantPointId('a'), 'deterministic')
  t.not(qdrantPointId('a'), qdrantPointId('A'))
})

test('[qdrant] an unreachable server is BACKEND_UNAVAILABLE on open; probe says so without throwing', async (t) => {
  const url = `http://127.0.0.1:${await closedPort()}`
  const e = await t.throwsAsync(QdrantVectorBackend.open({ url, dimension: 3 }), { instanceOf: VgentError })
  t.is(e.code, 'BACKEND_UNAVAILABLE')
  t.true(e.message.includes(url), e.message)
  const p = await QdrantVectorBackend.probe({ url })
  t.false(p.ok)
  t.is(typeof p.error, 'string')
  t.is(p.version, undefined)
})

test('[qdrant] probe gives up after its timeout on a server that never answers', async (t) => {
  const sockets = new Set()
  // A client that gives up may reset its socket: without a listener that 'error' would be uncaught.
  const silent = createServer((s) => sockets.add(s.on('error', () => {})))
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  const p = await QdrantVectorBackend.probe({ url: `http://127.0.0.1:${silent.address().port}`, timeoutMs: 300 })
  t.false(p.ok)
  t.regex(p.error, /300 ms|abort|timeout/i)
})

test('[qdrant] bad options are INVALID_ARGUMENT before any request', async (t) => {
  const url = `http://127.0.0.1:${await closedPort()}` // would be BACKEND_UNAVAILABLE if contacted
  for (const opts of [
    { dimension: 0 },
    { dimension: 2, metric: 'hamming' },
    { dimension: 2, namespace: 'a/b' },
    { dimension: 2, collection: '../x' },
    { dimension: 2, collection: '' },
    { dimension: 2, timeoutMs: -1 },
    { dimension: 2, indexes: { k: 'text' } },
    { dimension: 2, indexes: { 'say "hi"': 'keyword' } },
    { dimension: 2, url: 'localhost:6333' },
  ]) {
    const e = await t.throwsAsync(QdrantVectorBackend.open({ url, ...opts }), { instanceOf: VgentError }, JSON.stringify(opts))
    t.is(e?.code, 'INVALID_ARGUMENT', JSON.stringify(opts))
  }
  const e = await t.throwsAsync(QdrantVectorBackend.open(null), { instanceOf: VgentError })
  t.is(e.code, 'INVALID_ARGUMENT')
})

/** Runs `code` (CommonJS, may await) in a fresh node with `env` as its whole environment and returns what it printed as JSON. */
async function inChild(code, { env = {}, preload } = {}) {
  const args = [...(preload ? ['-r', preload] : []), '-e', `(async () => { ${code} })().then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1) })`]
  const { stdout } = await promisify(execFile)(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' })
  return JSON.parse(stdout.trim().split('\n').pop())
}

test('[qdrant] without @qdrant/js-client-rest installed, open says what to install and probe reports it', async (t) => {
  const out = await inChild(
    `const { QdrantVectorBackend, MemoryVectorBackend } = require('vgent')
     new MemoryVectorBackend({ dimension: 2 }) // the rest of vgent loads fine without the client
     const probe = await QdrantVectorBackend.probe({ url: 'http://127.0.0.1:1' })
     try {
       await QdrantVectorBackend.open({ url: 'http://127.0.0.1:1', dimension: 2 })
       return { opened: true }
     } catch (e) {
       return { code: e.code, message: e.message, probe }
     }`,
    { preload: fileURLToPath(new URL('./qdrant-standin/hide-client.cjs', import.meta.url)) },
  )
  t.is(out.code, 'BACKEND_UNAVAILABLE')
  t.regex(out.message, /npm install @qdrant\/js-client-rest/)
  t.false(out.probe.ok)
  t.regex(out.probe.error, /npm install @qdrant\/js-client-rest/)
})

const withKey = python ? test : test.skip
withKey('[qdrant-standin] the API key comes from apiKey or $KGENTS_QDRANT_API_KEY (and the url from $KGENTS_QDRANT_URL); a missing or wrong key is BACKEND_UNAVAILABLE', async (t) => {
  const own = await startStandin(python, { apiKey: 'k3y' })
  t.teardown(() => own.stop())
  // In child processes, so that the variables are set for exactly the code under test. The JS client
  // warns on stderr about a key sent over plain http; that is expected here.
  const attempt = (env) =>
    inChild(
      `const { QdrantVectorBackend } = require('vgent')
       const probe = await QdrantVectorBackend.probe({ timeoutMs: 20000 })
       try {
         const store = await QdrantVectorBackend.open({ collection: 'keyed', dimension: 2, metric: 'euclidean' })
         await store.add('from-env', [1, 0], { via: 'env' })
         return { url: store.url, probe, found: (await store.search([1, 0])).map((r) => r.id) }
       } catch (e) {
         return { code: e.code, message: e.message, probe }
       }`,
      { env },
    )
  const viaEnv = await attempt({ KGENTS_QDRANT_URL: own.url, KGENTS_QDRANT_API_KEY: 'k3y' })
  t.is(viaEnv.url, own.url)
  t.deepEqual(viaEnv.found, ['from-env'])
  t.true(viaEnv.probe.ok, viaEnv.probe.error)
  const missing = await attempt({ KGENTS_QDRANT_URL: own.url })
  t.is(missing.code, 'BACKEND_UNAVAILABLE')
  t.regex(missing.message, /HTTP 403.*API key/)
  // The root endpoint answers without a key (as on a real server): probe() checks the key as well.
  t.false(missing.probe.ok)
  t.regex(missing.probe.error, /HTTP 403.*API key/)
  // The option, and a wrong one.
  const store = await QdrantVectorBackend.open({ url: own.url, apiKey: 'k3y', collection: 'keyed', dimension: 2, metric: 'euclidean' })
  t.deepEqual((await store.get('from-env')).metadata, { via: 'env' })
  const wrong = await t.throwsAsync(QdrantVectorBackend.open({ url: own.url, apiKey: 'nope', collection: 'keyed', dimension: 2, metric: 'euclidean' }), { instanceOf: VgentError })
  t.is(wrong.code, 'BACKEND_UNAVAILABLE')
  t.regex(wrong.message, /HTTP 403.*API key/)
  const wrongProbe = await QdrantVectorBackend.probe({ url: own.url, apiKey: 'nope', timeoutMs: 20_000 })
  t.false(wrongProbe.ok)
  t.regex(wrongProbe.error, /HTTP 403.*API key/)
  t.true((await QdrantVectorBackend.probe({ url: own.url, apiKey: 'k3y', timeoutMs: 20_000 })).ok)
  await store.close()
})

const serverDies = python ? test : test.skip
serverDies('[qdrant-standin] every call after the server went away is BACKEND_UNAVAILABLE', async (t) => {
  const own = await startStandin(python)
  t.teardown(() => own.stop())
  const store = await QdrantVectorBackend.open({ url: own.url, collection: 'doomed', dimension: 2, timeoutMs: 5000 })
  await store.add('a', [1, 0])
  await own.stop()
  for (const [label, call] of [
    ['add', () => store.add('b', [0, 1])],
    ['addBatch', () => store.addBatch([{ id: 'c', vector: [1, 1] }])],
    ['get', () => store.get('a')],
    ['exists', () => store.exists('a')],
    ['remove', () => store.remove('a')],
    ['count', () => store.count()],
    ['clear', () => store.clear()],
    ['search', () => store.search([1, 0])],
    ['searchBatch', () => store.searchBatch([[1, 0], [0, 1]])],
  ]) {
    const e = await t.throwsAsync(call, { instanceOf: VgentError }, label)
    t.is(e?.code, 'BACKEND_UNAVAILABLE', `${label}: ${e?.message}`)
  }
  t.false((await store.probe(1000)).ok)
  // Validation still comes first: a bad call is rejected for what it is.
  const bad = await t.throwsAsync(store.add('d', [1]), { instanceOf: VgentError })
  t.is(bad.code, 'DIMENSION_MISMATCH')
  await store.close()
})

// ---- export and promotion through the router -------------------------------------------------------

test('[qdrant-standin] exportEntries streams every point exactly; the router promotes D-gent → Qdrant and verifies', async (t) => {
  if (!python) return t.pass()
  const { createVgent, QdrantVectorBackend } = await import('vgent')
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dataDir = mkdtempSync(join(tmpdir(), 'vgent-qdrant-promote-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const namespace = `promote_${process.pid}`
  const r = await createVgent({ dimension: 3, namespace, backend: 'dgent', dataDir, qdrantUrl: standin.url, logger: { info() {}, warn() {} },
    // The Python stand-in answers slowly while the other suites load both cores: a 2 s probe flakes.
    probeTimeoutMs: 20000 })
  t.teardown(() => r.close())
  const rows = Array.from({ length: 2500 }, (_, i) => ({ id: `p${i}-ü`, vector: [i + 1, (i % 7) - 3, 0.5], metadata: { i, tags: [String(i % 3)] } }))
  await r.addBatch(rows)
  const report = await r.promote('qdrant', { batchSize: 700 })
  t.is(report.count, 2500)
  t.is(r.selected, 'qdrant')
  const q = await QdrantVectorBackend.open({ url: standin.url, namespace, dimension: 3 })
  t.teardown(() => q.close())
  const seen = new Map()
  for await (const b of q.exportEntries({ batchSize: 600 })) {
    b.ids.forEach((id, k) => seen.set(id, { v: [...b.vectors.subarray(k * 3, k * 3 + 3)], m: b.metadata[k] }))
  }
  t.is(seen.size, 2500)
  for (const row of rows.filter((_, i) => i % 97 === 0)) {
    t.deepEqual(seen.get(row.id), { v: row.vector.map(Math.fround), m: row.metadata })
  }
})
