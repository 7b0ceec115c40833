// addTexts / searchText on the server tiers (a real PostgreSQL + pgvector started by
// scripts/postgres-test.sh; the Qdrant stand-in) and through the router: the recorded source is
// persisted by the tier, so the store opened afresh (a new connection) still refuses another model's
// queries and writes. Skips loudly without the servers, and fails under VGENT_NO_SKIP=1.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HashEmbedder, PostgresVectorBackend, QdrantVectorBackend, SOURCE_KEY, addTexts, createVgent, searchText } from 'vgent'
import { TestServer } from './postgres/server.mjs'
import { findStandinPython, startStandin } from './qdrant-standin/start.mjs'
import { unavailable } from './embedders/skip.mjs'

const DOCS = [
  { id: 'fox', text: 'the quick brown fox jumps', metadata: { kind: 'animal' } },
  { id: 'db', text: 'vector databases store embeddings', metadata: { kind: 'tech' } },
  { id: 'rain', text: 'rain falls on the quiet town', metadata: { kind: 'weather' } },
]
const silent = { info: () => {}, warn: () => {} }
let serial = 0
const ns = () => `texts_${process.pid}_${serial++}`

/** Another model of the same width: comparable in shape, not in meaning. Counts what it embeds. */
function otherModel(dimension) {
  const h = new HashEmbedder({ dimension })
  const calls = { n: 0 }
  return {
    calls,
    embedder: {
      dimension,
      source: 'test/other-model',
      embed: (x) => (calls.n++, h.embed(x)),
      embedBatch: (x, o) => ((calls.n += x.length), h.embedBatch(x, o)),
    },
  }
}

/** The checks every tier must pass; `open(namespace)` opens (or reopens) that store. */
function registerTier(tier, open) {
  test.serial(`[texts:${tier}] source recorded and persisted; another model refused (also after reopening); dimension checked`, async (t) => {
    const namespace = ns()
    const h = new HashEmbedder({ dimension: 32 })
    const store = await open(namespace, 32)
    t.deepEqual(await addTexts(store, h, DOCS, { textKey: 'text' }), ['fox', 'db', 'rain'])
    t.is((await store.get('fox')).metadata[SOURCE_KEY], 'local/hash')
    t.is((await searchText(store, h, 'quick fox', { limit: 1 }))[0].id, 'fox')
    const { embedder: other, calls } = otherModel(32)
    await t.throwsAsync(searchText(store, other, 'quick fox'), { code: 'EMBEDDER_MISMATCH' })
    await t.throwsAsync(searchText(store, other, 'quick fox', { threshold: 0.999 }), { code: 'EMBEDDER_MISMATCH' })
    const before = calls.n
    await t.throwsAsync(addTexts(store, other, ['not comparable']), { code: 'EMBEDDER_MISMATCH' })
    t.is(calls.n, before, 'refused before embedding')
    await t.throwsAsync(addTexts(store, new HashEmbedder({ dimension: 16 }), ['narrow']), { code: 'DIMENSION_MISMATCH' })
    t.is(await store.count(), 3)
    await store.close()

    const reopened = await open(namespace, 32)
    t.teardown(() => reopened.close())
    await t.throwsAsync(searchText(reopened, other, 'fox'), { code: 'EMBEDDER_MISMATCH' })
    await t.throwsAsync(addTexts(reopened, other, ['still not']), { code: 'EMBEDDER_MISMATCH' })
    await addTexts(reopened, h, ['more from the same model'])
    t.is(await reopened.count(), 4)
  })
}

// ---- PostgreSQL (our own instance on a free port, so that no other run's server is in the way)
const freePort = Number(
  spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).stdout.trim(),
)
const pgServer = new TestServer({ port: freePort, root: join(tmpdir(), `vgent-pg-texts-${process.pid}`) })
const pgError = pgServer.startSync()
if (pgError) {
  unavailable(test, '[texts:postgres] addTexts / searchText on PostgreSQL', `no PostgreSQL: ${pgError} (run: sudo scripts/postgres-test.sh install)`)
} else {
  test.after.always(() => pgServer.destroy().catch(() => {}))
  registerTier('postgres', (namespace, dimension) => PostgresVectorBackend.open({ url: pgServer.url, namespace, dimension }))
  registerTier('router→postgres', (namespace, dimension) =>
    createVgent({ dimension, namespace, backend: 'postgres', postgresUrl: pgServer.url, logger: silent, probeTimeoutMs: 20_000 }),
  )
  test.serial('[texts:router] the recorded source moves with a promotion Memory → Postgres', async (t) => {
    const namespace = ns()
    const h = new HashEmbedder({ dimension: 32 })
    const r = await createVgent({ dimension: 32, namespace, backend: 'memory', postgresUrl: pgServer.url, logger: silent, probeTimeoutMs: 20_000 })
    t.teardown(() => r.close())
    await addTexts(r, h, DOCS)
    await r.promote('postgres')
    t.is(r.selected, 'postgres')
    await t.throwsAsync(searchText(r, otherModel(32).embedder, 'fox'), { code: 'EMBEDDER_MISMATCH' })
    t.is((await searchText(r, h, 'quiet town rain', { limit: 1 }))[0].id, 'rain')
  })
}

// ---- Qdrant (the stand-in: Qdrant's REST endpoints over the official Python client's local mode)
const python = findStandinPython()
if (!python) {
  unavailable(test, '[texts:qdrant] addTexts / searchText on Qdrant', 'the Qdrant stand-in needs Python with qdrant-client: run scripts/qdrant-standin-setup.sh')
} else {
  let standin
  test.before(async () => {
    standin = await startStandin(python)
  })
  test.after.always(() => standin?.stop())
  registerTier('qdrant', (namespace, dimension) => QdrantVectorBackend.open({ url: standin.url, namespace, dimension }))
}
