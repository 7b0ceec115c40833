// The router with a real PostgreSQL + pgvector really up and really down (its own server instance,
// started and stopped by scripts/postgres-test.sh), and a promotion Memory → D-gent → Postgres under
// concurrent writes, and one that fails part-way (the server stopped mid-copy).
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PostgresVectorBackend, createVgent } from 'vgent'
import { TestServer } from './postgres/server.mjs'

const PG_SCRIPT = fileURLToPath(new URL('../scripts/postgres-test.sh', import.meta.url))

const root = mkdtempSync(join(tmpdir(), 'vgent-router-pg-'))
// A free port and a data dir of our own, so that no other server (or an earlier run) can be in the way.
const freePort = Number(
  spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).stdout.trim(),
)
const server = new TestServer({ port: freePort, root: join(tmpdir(), `vgent-pg-router-${process.pid}`) })
const error = server.startSync()
const silent = { info: () => {}, warn: () => {} }
let serial = 0
const ns = () => `router_${process.pid}_${serial++}`

if (error) {
  if (process.env.VGENT_NO_SKIP === '1') throw new Error(`router Postgres tests cannot run: ${error}`)
  console.warn(`\n*** SKIPPING the router's Postgres tests: ${error}\n*** run: sudo scripts/postgres-test.sh install\n`)
  test.skip('router with Postgres: no server', () => {})
} else {
  test.after.always(async () => {
    await server.destroy().catch(() => {})
    rmSync(root, { recursive: true, force: true })
  })

  test.serial('Postgres up: preferred and selected, status names pgvector; down: skipped for D-gent with the reason; up again: selected', async (t) => {
    const opts = () => ({ dimension: 3, namespace: ns(), preferred: 'postgres', postgresUrl: server.url, dataDir: join(root, `d${serial}`), logger: silent, probeTimeoutMs: 20000 })
    const up = await createVgent(opts())
    t.is(up.selected, 'postgres')
    const pg = (await up.status()).find((s) => s.backend === 'postgres')
    t.true(pg.available)
    t.regex(pg.reason, /pgvector \d+\.\d+/)
    await up.add('a', [1, 2, 3])
    t.is(await up.count(), 1)
    await up.close()

    await server.stop()
    const down = await createVgent({ ...opts(), probeTimeoutMs: 1500 })
    t.is(down.selected, 'dgent')
    const s = (await down.status()).find((x) => x.backend === 'postgres')
    t.false(s.available)
    t.true(s.reason.length > 0)
    await down.close()

    await server.start()
    const again = await createVgent(opts())
    t.is(again.selected, 'postgres')
    await again.close()
  })

  test.serial('promote Memory → D-gent → Postgres under concurrent writes: nothing lost, the Postgres table holds it all', async (t) => {
    const namespace = ns()
    const r = await createVgent({ dimension: 4, metric: 'euclidean', namespace, backend: 'memory', postgresUrl: server.url, dataDir: join(root, namespace), logger: silent, probeTimeoutMs: 20000 })
    t.teardown(() => r.close())
    const vec = (i) => [i % 13, Math.floor(i / 13) % 17, 1, -(i % 5)] // includes -0: pgvector keeps it as 0
    const model = new Map()
    await r.addBatch(Array.from({ length: 3000 }, (_, i) => ({ id: `s${i}`, vector: vec(i), metadata: { i } })))
    for (let i = 0; i < 3000; i++) model.set(`s${i}`, vec(i))
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await r.add(`w${i}`, vec(i + 7), { w: i })
        model.set(`w${i}`, vec(i + 7))
        if (i % 4 === 0) {
          await r.remove(`s${i}`)
          model.delete(`s${i}`)
        }
        // A real writer is driven by I/O: let the event loop turn (in-memory writes resolve as microtasks).
        await new Promise((res) => setImmediate(res))
      }
    })()
    const toDgent = await r.promote('dgent', { batchSize: 500 })
    t.is(toDgent.to, 'dgent')
    const toPg = await r.promote('postgres', { batchSize: 500 })
    writing = false
    await writer
    t.is(toPg.from, 'dgent')
    t.is(r.selected, 'postgres')
    t.is(await r.count(), model.size)
    await r.close()

    const direct = await PostgresVectorBackend.open({ url: server.url, namespace, dimension: 4, metric: 'euclidean' })
    t.is(await direct.count(), model.size)
    for (const [id, v] of model) {
      const e = await direct.get(id)
      if (!e || e.embedding.vector.some((x, j) => x !== v[j])) t.fail(`${id} lost or changed in Postgres`) // -0 === 0
    }
    await direct.close()
  })

  test.serial('auto-upgrade D-gent → Postgres past a configured band, in the background, reported through onUpgrade', async (t) => {
    const namespace = ns()
    const reports = []
    const r = await createVgent({
      dimension: 2,
      namespace,
      backend: 'dgent',
      dataDir: join(root, namespace),
      postgresUrl: server.url,
      autoUpgrade: { thresholds: { dgent: 300 }, checkEvery: 100, onUpgrade: (report) => reports.push(report) },
      logger: silent,
      probeTimeoutMs: 20000,
    })
    t.teardown(() => r.close())
    const promoted = new Promise((resolve) => r.once('promoted', resolve))
    for (let at = 0; at < 500; at += 100) await r.addBatch(Array.from({ length: 100 }, (_, i) => ({ id: `u${at + i}`, vector: [at + i + 1, 1] })))
    const report = await promoted
    t.deepEqual(reports, [report])
    t.is(report.from, 'dgent')
    t.is(report.to, 'postgres')
    t.true(report.count > 300)
    t.is(r.selected, 'postgres')
    t.is(await r.count(), 500)
  })

  test.serial('a promotion that fails part-way (Postgres stopped mid-copy) leaves the source untouched and the router on it; a re-run after restart succeeds', async (t) => {
    const namespace = ns()
    const r = await createVgent({ dimension: 3, namespace, backend: 'memory', postgresUrl: server.url, logger: silent, probeTimeoutMs: 20000 })
    t.teardown(() => r.close())
    const vec = (i) => [i + 1, i % 11, -(i % 3)]
    await r.addBatch(Array.from({ length: 6000 }, (_, i) => ({ id: `f${i}`, vector: vec(i), metadata: { i } })))
    let stopped = false
    const err = await t.throwsAsync(
      r.promote('postgres', {
        batchSize: 500,
        // Synchronously, so that the server is down before the next batch is sent.
        onProgress: () => {
          if (stopped) return
          stopped = true
          spawnSync('bash', [PG_SCRIPT, 'stop'], { env: server.env })
        },
      }),
    )
    t.true(stopped)
    t.is(err.code, 'BACKEND_UNAVAILABLE', err.message)
    t.log(`the promotion failed with ${err.code}: ${err.message}`)
    t.is(r.selected, 'memory')
    t.is(await r.count(), 6000)
    for (const i of [0, 2999, 5999]) t.deepEqual([...(await r.get(`f${i}`)).embedding.vector], vec(i))
    await r.add('after-failure', [1, 1, 1])
    await server.start()
    const report = await r.promote('postgres', { batchSize: 500 })
    t.is(report.count, 6001)
    t.is(r.selected, 'postgres')
    t.is(await r.count(), 6001)
  })
}
