// The D-gent tier's native fast path: the whole conformance suite on a real on-disk store, plus
// persistence across reopen and the store's own checks.
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DgentVectorBackend, VgentError } from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'

const root = mkdtempSync(join(tmpdir(), 'vgent-dgent-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `store-${serial++}`)

runConformanceSuite(test, {
  name: 'dgent',
  create: (opts) => DgentVectorBackend.open({ ...opts, dataDir: freshDir() }),
})

test('[dgent] adds, updates and removes read back identically after reopening', async (t) => {
  const dataDir = freshDir()
  const ids = ['plain', 'ünïcödé-键-🔑', 'x'.repeat(1024), 'gone', 'back']
  const s = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', dataDir })
  await s.addBatch(ids.map((id, i) => ({ id, vector: [i, i + 0.5, -i], metadata: { i, tags: [id.slice(0, 3)], ok: i % 2 === 0 } })))
  await s.add('plain', [9, 9, 9], { updated: true }) // replaced
  await s.remove('gone')
  await s.remove('back')
  await s.add('back', [7, 7, 7]) // deleted then re-added: must survive the restart
  const before = await Promise.all(ids.map((id) => s.get(id)))
  await s.close()

  const r = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', dataDir })
  t.is(await r.count(), 4)
  const after = await Promise.all(ids.map((id) => r.get(id)))
  t.deepEqual(after.map((e) => e && { id: e.id, v: [...e.embedding.vector], m: e.metadata }), before.map((e) => e && { id: e.id, v: [...e.embedding.vector], m: e.metadata }))
  t.is(after[3], null)
  t.deepEqual([...after[4].embedding.vector], [7, 7, 7])
  t.deepEqual((await r.get('plain')).metadata, { updated: true })
  await r.close()
})

test('[dgent] reopening with another dimension or metric says what the store holds', async (t) => {
  const dataDir = freshDir()
  await (await DgentVectorBackend.open({ dimension: 4, metric: 'cosine', dataDir })).close()
  const e = await t.throwsAsync(DgentVectorBackend.open({ dimension: 8, metric: 'cosine', dataDir }), { instanceOf: VgentError })
  t.is(e.code, 'STORE_MISMATCH')
  t.regex(e.message, /dimension 4 with metric cosine/)
})

test('[dgent] a second writer on the same store is refused with STORE_LOCKED', async (t) => {
  const dataDir = freshDir()
  const a = await DgentVectorBackend.open({ dimension: 2, dataDir })
  const e = await t.throwsAsync(DgentVectorBackend.open({ dimension: 2, dataDir }), { instanceOf: VgentError })
  t.is(e.code, 'STORE_LOCKED')
  await a.close()
})

test('[dgent] compaction keeps the live entries and the store stays writable', async (t) => {
  const dataDir = freshDir()
  const s = await DgentVectorBackend.open({ dimension: 2, metric: 'dot_product', dataDir, durability: 'none' })
  for (let i = 0; i < 50; i++) await s.add(`k${i % 5}`, [i, 1], { i })
  await s.remove('k0')
  await s.compact()
  await s.add('late', [1, 1])
  await s.close()
  const r = await DgentVectorBackend.open({ dimension: 2, metric: 'dot_product', dataDir })
  t.is(await r.count(), 5)
  t.deepEqual((await r.get('k4')).metadata, { i: 49 })
  t.false(await r.exists('k0'))
  await r.close()
})

test('[dgent] bad options are typed errors', async (t) => {
  for (const opts of [{ dimension: 2, namespace: 'a:b' }, { dimension: 2, namespace: '../up' }, { dimension: 0 }, { dimension: 2, durability: 'sometimes' }]) {
    const e = await t.throwsAsync(DgentVectorBackend.open({ dataDir: freshDir(), ...opts }), { instanceOf: VgentError })
    t.is(e.code, 'INVALID_ARGUMENT', JSON.stringify(opts))
  }
})
