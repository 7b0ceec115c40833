// The router over the tiers that run in-process here (Memory, D-gent on real files): selection order,
// fallback with a tier really unavailable, concurrent first calls, promotion under concurrent writes,
// an aborted promotion, auto-upgrade, and the conformance suite through the router.
import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DgentVectorBackend, VgentError, VgentRouter, createVgent, VectorBackend } from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'

const root = mkdtempSync(join(tmpdir(), 'vgent-router-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `d-${serial++}`)
const notWritable = join(root, 'a-file')
writeFileSync(notWritable, 'x') // a data dir *under a regular file* cannot be created

function recorder() {
  const lines = []
  return { lines, logger: { info: (m) => lines.push(['info', m]), warn: (m) => lines.push(['warn', m]) } }
}

async function code(t, promise, expected) {
  const e = await t.throwsAsync(promise, { instanceOf: VgentError })
  t.is(e.code, expected, e.message)
  return e
}

/** Runs `fn` with KGENTS_VGENT_BACKEND set (tests touching the env are serial). */
async function withEnv(value, fn) {
  const old = process.env.KGENTS_VGENT_BACKEND
  if (value === undefined) delete process.env.KGENTS_VGENT_BACKEND
  else process.env.KGENTS_VGENT_BACKEND = value
  try {
    return await fn()
  } finally {
    if (old === undefined) delete process.env.KGENTS_VGENT_BACKEND
    else process.env.KGENTS_VGENT_BACKEND = old
  }
}

runConformanceSuite(test, {
  name: 'router(dgent)',
  create: (opts) => withEnv(undefined, () => createVgent({ ...opts, dataDir: freshDir(), logger: recorder().logger })),
})

test('VectorBackend values', (t) => {
  t.deepEqual({ ...VectorBackend }, { MEMORY: 'memory', DGENT: 'dgent', POSTGRES: 'postgres', QDRANT: 'qdrant' })
})

test.serial('default chain: D-gent when its data dir is writable; status explains every tier; logged once', async (t) => {
  await withEnv(undefined, async () => {
    const { lines, logger } = recorder()
    const r = new VgentRouter({ dimension: 2, dataDir: freshDir(), logger })
    t.is(r.selected, null)
    await Promise.all(Array.from({ length: 20 }, (_, i) => r.add(`id${i}`, [i + 1, 1]))) // concurrent first calls
    t.is(r.selected, 'dgent')
    t.is(await r.count(), 20)
    t.is(lines.filter(([k]) => k === 'info').length, 1)
    t.regex(lines[0][1], /dgent tier/)
    const status = await r.status()
    t.deepEqual(status.map((s) => s.backend), ['memory', 'dgent', 'postgres', 'qdrant'])
    t.true(status[0].available)
    t.true(status[1].available)
    t.regex(status[1].reason, /writable/)
    t.true(typeof status[1].latencyMs === 'number')
    for (const s of status) t.true(typeof s.reason === 'string' && s.reason.length > 0)
    await r.close()
  })
})

test.serial('KGENTS_VGENT_BACKEND is case-insensitive; an unknown name is a warning, not a crash', async (t) => {
  await withEnv('MeMoRy', async () => {
    const r = await createVgent({ dimension: 2, dataDir: freshDir(), logger: recorder().logger })
    t.is(r.selected, 'memory')
    await r.close()
  })
  await withEnv('cassandra', async () => {
    const { lines, logger } = recorder()
    const r = await createVgent({ dimension: 2, dataDir: freshDir(), logger })
    t.is(r.selected, 'dgent')
    t.true(lines.some(([k, m]) => k === 'warn' && /cassandra/.test(m)))
    await r.close()
  })
  // preferred comes after the environment
  await withEnv('memory', async () => {
    const r = await createVgent({ dimension: 2, dataDir: freshDir(), preferred: 'dgent', logger: recorder().logger })
    t.is(r.selected, 'memory')
    await r.close()
  })
})

test.serial('a tier that is down is skipped: an unwritable D-gent dir falls back to Memory, with the reason in status()', async (t) => {
  await withEnv(undefined, async () => {
    const r = await createVgent({ dimension: 2, dataDir: join(notWritable, 'sub'), logger: recorder().logger })
    t.is(r.selected, 'memory')
    const s = (await r.status()).find((x) => x.backend === 'dgent')
    t.false(s.available)
    t.regex(s.reason, /not writable/)
    await r.close()
    // Postgres preferred but not configured here: also skipped.
    const r2 = await createVgent({ dimension: 2, dataDir: freshDir(), preferred: 'postgres', logger: recorder().logger })
    t.is(r2.selected, 'dgent')
    await r2.close()
  })
})

test.serial('a tier whose probe passes but whose open fails is skipped, and status() says why', async (t) => {
  await withEnv(undefined, async () => {
    const dataDir = freshDir()
    const holder = await DgentVectorBackend.open({ dimension: 2, dataDir }) // holds the store's lock
    const r = await createVgent({ dimension: 2, dataDir, logger: recorder().logger })
    t.is(r.selected, 'memory')
    const s = (await r.status()).find((x) => x.backend === 'dgent')
    t.false(s.available)
    t.regex(s.reason, /opening failed.*open for writing by another process/)
    await r.close()
    await holder.close()
  })
})

test('an explicit backend is used exactly: unavailable is BACKEND_UNAVAILABLE with the reason', async (t) => {
  const e = await code(t, createVgent({ dimension: 2, backend: 'dgent', dataDir: join(notWritable, 'x'), logger: recorder().logger }), 'BACKEND_UNAVAILABLE')
  t.regex(e.message, /not writable/)
  await code(t, createVgent({ dimension: 2, backend: 'postgres', postgresUrl: undefined, logger: recorder().logger }), 'BACKEND_UNAVAILABLE')
  t.throws(() => new VgentRouter({ dimension: 2, backend: 'mongo' }), { instanceOf: VgentError })
  t.throws(() => new VgentRouter({ dimension: 2, fallbackChain: ['memory', 'nope'] }), { instanceOf: VgentError })
})

test('forceBackend switches tiers and refuses an unavailable one with the probe reason; reset reselects', async (t) => {
  const r = await createVgent({ dimension: 2, backend: 'memory', dataDir: freshDir(), logger: recorder().logger })
  await r.add('m', [1, 0])
  await r.forceBackend('dgent')
  t.is(r.selected, 'dgent')
  t.is(await r.count(), 0) // its own (empty) store: forcing does not copy
  const e = await code(t, r.forceBackend('qdrant'), 'BACKEND_UNAVAILABLE')
  t.regex(e.message, /qdrant/i)
  t.is(r.selected, 'dgent')
  await r.reset()
  t.is(r.selected, null)
  await r.count()
  t.is(r.selected, 'memory') // the explicit backend again
  await r.close()
  await code(t, r.count(), 'CLOSED')
})

function vec(i) {
  return [Math.sin(i) * 10, Math.cos(i) * 10, (i % 7) + 1]
}

test('promote Memory → D-gent under concurrent writes: nothing lost, verified, switched; the D-gent store holds it all', async (t) => {
  const dataDir = freshDir()
  const r = await createVgent({ dimension: 3, metric: 'euclidean', backend: 'memory', dataDir, logger: recorder().logger })
  const model = new Map()
  await r.addBatch(Array.from({ length: 12000 }, (_, i) => ({ id: `a${i}`, vector: vec(i), metadata: { i } })))
  for (let i = 0; i < 12000; i++) model.set(`a${i}`, vec(i))
  let writing = true
  const writer = (async () => {
    let i = 0
    while (writing) {
      const id = `w${i}`
      await r.add(id, vec(i + 50000), { w: i })
      model.set(id, vec(i + 50000))
      if (i % 3 === 0) {
        await r.remove(`a${i}`)
        model.delete(`a${i}`)
      }
      i++
      if (i % 10 === 0) await new Promise((res) => setImmediate(res))
    }
  })()
  const progress = []
  const report = await r.promote('dgent', { onProgress: (done, total) => progress.push([done, total]), batchSize: 1000 })
  writing = false
  await writer
  t.is(r.selected, 'dgent')
  t.is(report.from, 'memory')
  t.is(report.to, 'dgent')
  t.true(progress.length >= 10)
  t.true(progress.every(([d, tot], k) => d <= tot && (k === 0 || d >= progress[k - 1][0])))
  t.regex(report.checksum, /^[0-9a-f]{64}$/)
  t.is(await r.count(), model.size)
  for (const [id, v] of model) {
    const e = await r.get(id)
    if (!e) t.fail(`${id} lost`)
    else if (e.embedding.vector.some((x, j) => x !== Math.fround(v[j]))) t.fail(`${id} differs`)
  }
  await r.close()
  const direct = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', dataDir })
  t.is(await direct.count(), model.size)
  await direct.close()
})

test('an aborted promotion leaves the source untouched and the router on it; re-running succeeds', async (t) => {
  const dataDir = freshDir()
  const r = await createVgent({ dimension: 3, backend: 'memory', dataDir, logger: recorder().logger })
  await r.addBatch(Array.from({ length: 5000 }, (_, i) => ({ id: `k${i}`, vector: vec(i) })))
  const ac = new AbortController()
  await code(t, r.promote('dgent', { batchSize: 500, signal: ac.signal, onProgress: (done) => done >= 1000 && ac.abort() }), 'ABORTED')
  t.is(r.selected, 'memory')
  t.is(await r.count(), 5000)
  await r.add('after-abort', [1, 2, 3])
  const report = await r.promote('dgent', { batchSize: 500 })
  t.is(report.count, 5001)
  t.is(r.selected, 'dgent')
  t.is(await r.count(), 5001)
  await code(t, r.promote('dgent'), 'INVALID_ARGUMENT')
  await r.close()
})

test('auto-upgrade promotes Memory → D-gent in the background past the threshold and reports it', async (t) => {
  const r = await createVgent({ dimension: 2, backend: 'memory', dataDir: freshDir(), autoUpgrade: { thresholds: { memory: 100 }, checkEvery: 50 }, logger: recorder().logger })
  const promoted = new Promise((resolve) => r.once('promoted', resolve))
  for (let i = 0; i < 200; i++) await r.add(`x${i}`, [i + 1, 1])
  const report = await promoted
  t.is(report.to, 'dgent')
  t.is(r.selected, 'dgent')
  t.is(await r.count(), 200)
  await r.close()
})

test('tier names in any case, as KGENTS_VGENT_BACKEND takes them: backend, preferred, fallbackChain, forceBackend, promote', async (t) => {
  const dataDir = freshDir()
  const r = await createVgent({ dimension: 2, backend: 'MEMORY', dataDir, logger: recorder().logger })
  t.is(r.selected, 'memory')
  await r.add('a', [1, 0])
  const report = await r.promote('DGent')
  t.is(report.to, 'dgent')
  t.is(r.selected, 'dgent')
  await r.forceBackend('Memory')
  t.is(r.selected, 'memory')
  await r.close()
  const chained = await createVgent({ dimension: 2, preferred: 'Postgres', fallbackChain: ['DGENT'], postgresUrl: undefined, dataDir, logger: recorder().logger })
  t.is(chained.selected, 'dgent')
  t.is(await chained.count(), 1)
  await chained.close()
})

test('closing the router during a promotion stops it: the target is released, nothing is switched', async (t) => {
  const dataDir = freshDir()
  const r = await createVgent({ dimension: 3, backend: 'memory', dataDir, logger: recorder().logger })
  await r.addBatch(Array.from({ length: 5000 }, (_, i) => ({ id: `c${i}`, vector: vec(i) })))
  let closing
  await code(t, r.promote('dgent', { batchSize: 500, onProgress: () => (closing ??= r.close()) }), 'CLOSED')
  await closing
  t.is(r.selected, null)
  await code(t, r.count(), 'CLOSED')
  // The D-gent store the promotion had open was closed (its lock released): it opens again here.
  const direct = await DgentVectorBackend.open({ dimension: 3, dataDir })
  t.true((await direct.count()) < 5000)
  await direct.close()
})

test('auto-upgrade is off by default; `autoUpgrade: true` uses the seed band (Memory past 10,000) and reports through onUpgrade too', async (t) => {
  const rows = (from, n) => Array.from({ length: n }, (_, i) => ({ id: `b${from + i}`, vector: [from + i + 1, 1] }))
  const off = await createVgent({ dimension: 2, backend: 'memory', dataDir: freshDir(), logger: recorder().logger })
  let offPromoted = false
  off.on('promoted', () => (offPromoted = true))
  for (let at = 0; at < 12_000; at += 1000) await off.addBatch(rows(at, 1000))
  await new Promise((res) => setImmediate(res))
  t.false(offPromoted)
  t.is(off.selected, 'memory')
  await off.close()

  const reports = []
  const on = await createVgent({ dimension: 2, backend: 'memory', dataDir: freshDir(), autoUpgrade: { onUpgrade: (r) => reports.push(r) }, logger: recorder().logger })
  const promoted = new Promise((resolve) => on.once('promoted', resolve))
  for (let at = 0; at < 12_000; at += 1000) await on.addBatch(rows(at, 1000))
  const report = await promoted
  t.deepEqual(reports, [report])
  t.is(report.from, 'memory')
  t.is(report.to, 'dgent')
  t.true(report.count > 10_000, `promoted at ${report.count} entries`)
  t.is(on.selected, 'dgent')
  t.is(await on.count(), 12_000)
  await on.close()
})

test.serial('an explicit backend wins over KGENTS_VGENT_BACKEND', async (t) => {
  await withEnv('memory', async () => {
    const r = await createVgent({ dimension: 2, backend: 'dgent', dataDir: freshDir(), logger: recorder().logger })
    t.is(r.selected, 'dgent')
    await r.close()
  })
})

test('probes time out: a Postgres or Qdrant address that accepts connections but never answers is unavailable, and selection moves on', async (t) => {
  // A TCP server that accepts and then says nothing, as a hung server or a black-holing proxy does.
  const sockets = new Set()
  const silentServer = createServer((s) => sockets.add(s))
  await new Promise((res) => silentServer.listen(0, '127.0.0.1', res))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silentServer.close()
  })
  const { port } = silentServer.address()
  const r = await createVgent({
    dimension: 2,
    preferred: 'postgres',
    fallbackChain: ['qdrant', 'dgent'],
    postgresUrl: `postgres://u@127.0.0.1:${port}/db`,
    qdrantUrl: `http://127.0.0.1:${port}`,
    dataDir: freshDir(),
    probeTimeoutMs: 300,
    logger: recorder().logger,
  })
  t.is(r.selected, 'dgent')
  const status = await r.status()
  for (const b of ['postgres', 'qdrant']) {
    const s = status.find((x) => x.backend === b)
    t.false(s.available, b)
    t.is(s.latencyMs, null)
    t.regex(s.reason, /time|300 ms/i, `${b}: ${s.reason}`)
  }
  await code(t, r.forceBackend('postgres'), 'BACKEND_UNAVAILABLE')
  await r.close()
})

test('auto-upgrade policies are checked when the router is made', (t) => {
  for (const autoUpgrade of [{ thresholds: { memory: -1 } }, { thresholds: { dgent: 'many' } }, { thresholds: { qdrant: 5 } }, { checkEvery: 0 }]) {
    t.throws(() => new VgentRouter({ dimension: 2, autoUpgrade }), { instanceOf: VgentError, code: 'INVALID_ARGUMENT' }, JSON.stringify(autoUpgrade))
  }
  t.notThrows(() => new VgentRouter({ dimension: 2, autoUpgrade: { thresholds: { memory: 0 } } }))
})
