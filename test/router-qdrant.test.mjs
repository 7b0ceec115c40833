// The router with the Qdrant tier really up and really down (the stand-in: Qdrant's REST endpoints over
// the official Python client's local mode, started and stopped here), and a promotion D-gent → Qdrant
// under concurrent writes. Skips loudly without the stand-in, and fails under VGENT_NO_SKIP=1.
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QdrantVectorBackend, createVgent } from 'vgent'
import { findStandinPython, startStandin } from './qdrant-standin/start.mjs'
import { unavailable } from './embedders/skip.mjs'

const root = mkdtempSync(join(tmpdir(), 'vgent-router-qdrant-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
const silent = { info: () => {}, warn: () => {} }
let serial = 0
const ns = () => `router_q_${process.pid}_${serial++}`
const python = findStandinPython()

if (!python) {
  unavailable(test, 'router with Qdrant', 'the Qdrant stand-in needs Python with qdrant-client: run scripts/qdrant-standin-setup.sh')
} else {
  let standin
  test.before(async () => {
    standin = await startStandin(python)
  })
  test.after.always(() => standin?.stop())

  test.serial('promote D-gent → Qdrant under concurrent writes: nothing lost, the collection holds it all', async (t) => {
    const namespace = ns()
    const r = await createVgent({ dimension: 3, metric: 'euclidean', namespace, backend: 'dgent', dataDir: join(root, namespace), qdrantUrl: standin.url, logger: silent, probeTimeoutMs: 20_000 })
    t.teardown(() => r.close())
    const vec = (i) => [i % 17, (i * 7) % 13, 1]
    const model = new Map()
    await r.addBatch(Array.from({ length: 1500 }, (_, i) => ({ id: `q${i}`, vector: vec(i), metadata: { i } })))
    for (let i = 0; i < 1500; i++) model.set(`q${i}`, { v: vec(i), md: { i } })
    let writing = true
    let during = 0
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await r.add(`w${i}`, vec(i + 3), { w: i })
        model.set(`w${i}`, { v: vec(i + 3), md: { w: i } })
        during++
        if (i % 3 === 0) {
          await r.remove(`q${i}`)
          model.delete(`q${i}`)
        }
      }
    })()
    const report = await r.promote('qdrant', { batchSize: 300 })
    const duringCopy = during
    writing = false
    await writer
    t.true(duringCopy > 0, `${duringCopy} writes during the copy`)
    t.log(`${duringCopy} writes during the copy`)
    t.is(report.from, 'dgent')
    t.is(report.to, 'qdrant')
    t.is(r.selected, 'qdrant')
    t.is(await r.count(), model.size)
    await r.close()
    const direct = await QdrantVectorBackend.open({ url: standin.url, namespace, dimension: 3, metric: 'euclidean' })
    t.teardown(() => direct.close())
    t.is(await direct.count(), model.size)
    for (const [id, { v, md }] of model) {
      const e = await direct.get(id)
      if (!e || e.embedding.vector.some((x, j) => x !== v[j])) t.fail(`${id} lost or changed in Qdrant`)
      else t.deepEqual(e.metadata, md)
    }
  })

  test.serial('Qdrant up: preferred and selected, status says it answers; down: skipped for D-gent with the reason', async (t) => {
    const opts = () => ({ dimension: 3, namespace: ns(), preferred: 'qdrant', qdrantUrl: standin.url, dataDir: join(root, `d${serial}`), logger: silent, probeTimeoutMs: 20_000 })
    const up = await createVgent(opts())
    t.is(up.selected, 'qdrant')
    const q = (await up.status()).find((s) => s.backend === 'qdrant')
    t.true(q.available)
    t.regex(q.reason, /answers at/)
    t.is(typeof q.latencyMs, 'number')
    await up.add('a', [1, 2, 3])
    t.is(await up.count(), 1)
    await up.close()

    await standin.stop()
    const down = await createVgent({ ...opts(), probeTimeoutMs: 1500 })
    t.is(down.selected, 'dgent')
    const s = (await down.status()).find((x) => x.backend === 'qdrant')
    t.false(s.available)
    t.true(s.reason.length > 0)
    t.is(s.latencyMs, null)
    await down.close()
  })
}
