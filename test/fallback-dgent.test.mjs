// The D-gent tier on the pure TypeScript core (VGENT_NATIVE=0): the vector conformance suite on a
// real on-disk store, the datum suite over FileDgent, persistence, locking, corruption and repair.
// test/fallback-log.test.mjs checks that the files are the native core's, byte for byte.
import test from 'ava'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Before anything loads the binding: static imports would hoist above this line.
process.env.VGENT_NATIVE = '0'
const { DgentVectorBackend, FileDgent, VgentError, nativeInfo, repairStore } = await import('../dist/index.js')
const { runConformanceSuite } = await import('./conformance/suite.mjs')
const { runDatumSuite } = await import('./dgent/datum-suite.mjs')

const root = mkdtempSync(join(tmpdir(), 'vgent-fallback-dgent-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `store-${serial++}`)
const bytes = (s) => new TextEncoder().encode(s)

async function code(t, promise, expected) {
  const e = await t.throwsAsync(promise, { instanceOf: VgentError })
  t.is(e.code, expected, e.message)
  return e
}

test('the TypeScript core is the one running', (t) => {
  const info = nativeInfo()
  t.false(info.native)
  t.is(info.reason, 'VGENT_NATIVE=0')
})

runConformanceSuite(test, {
  name: 'fallback-dgent',
  create: (opts) => DgentVectorBackend.open({ ...opts, dataDir: freshDir() }),
})
runDatumSuite(test, { name: 'fallback-FileDgent', create: () => FileDgent.open({ path: freshDir() }) })

test('[fallback-dgent] adds, updates and removes read back identically after reopening', async (t) => {
  const dataDir = freshDir()
  const ids = ['plain', 'ünïcödé-键-🔑', 'x'.repeat(1024), 'gone', 'back']
  const s = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', dataDir })
  await s.addBatch(ids.map((id, i) => ({ id, vector: [i, i + 0.5, -i], metadata: { i, tags: [id.slice(0, 3)], ok: i % 2 === 0 } })))
  await s.add('plain', [9, 9, 9], { updated: true })
  await s.remove('gone')
  await s.remove('back')
  await s.add('back', [7, 7, 7])
  const view = (e) => e && { id: e.id, v: [...e.embedding.vector], m: e.metadata }
  const before = await Promise.all(ids.map((id) => s.get(id)))
  await s.close()

  const r = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', dataDir })
  t.is(await r.count(), 4)
  t.deepEqual((await Promise.all(ids.map((id) => r.get(id)))).map(view), before.map(view))
  await r.close()
})

test('[fallback-dgent] reopening with another dimension or metric says what the store holds', async (t) => {
  const dataDir = freshDir()
  await (await DgentVectorBackend.open({ dimension: 4, metric: 'cosine', dataDir })).close()
  const e = await code(t, DgentVectorBackend.open({ dimension: 8, metric: 'cosine', dataDir }), 'STORE_MISMATCH')
  t.regex(e.message, /dimension 4 with metric cosine/)
})

test('[fallback-dgent] a second writer is refused with STORE_LOCKED; the lock goes with close', async (t) => {
  const dataDir = freshDir()
  const a = await DgentVectorBackend.open({ dimension: 2, dataDir })
  await code(t, DgentVectorBackend.open({ dimension: 2, dataDir }), 'STORE_LOCKED')
  await a.close()
  await (await DgentVectorBackend.open({ dimension: 2, dataDir })).close()
})

test('[fallback-dgent] compaction keeps the live entries and the store stays writable', async (t) => {
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

test('[fallback-FileDgent] everything written before close reads back after reopening, tombstones included', async (t) => {
  const path = freshDir()
  const a = await FileDgent.open({ path })
  for (let i = 0; i < 50; i++) await a.put({ id: `k${i}`, content: bytes(`v${i}`), createdAt: i, causalParent: i ? `k${i - 1}` : null, metadata: { i: String(i), 'ключ': 'значение' } })
  await a.delete('k10')
  await a.delete('k20')
  await a.put({ id: 'k20', content: bytes('back'), createdAt: 99, causalParent: null, metadata: {} })
  const before = await a.list({ limit: 1000 })
  await a.close()
  const b = await FileDgent.open({ path })
  t.is(await b.count(), 49)
  t.deepEqual(await b.list({ limit: 1000 }), before)
  t.deepEqual((await b.causalChain('k12')).map((d) => d.id), ['k11', 'k12'])
  await b.close()
})

test('[fallback-FileDgent] one writer at a time; read-only opens beside it and refuses writes', async (t) => {
  const path = freshDir()
  const w = await FileDgent.open({ path })
  await w.put({ id: 'a', content: bytes('1'), createdAt: 1, causalParent: null, metadata: {} })
  await code(t, FileDgent.open({ path }), 'STORE_LOCKED')
  const r = await FileDgent.open({ path, readOnly: true })
  t.is(Buffer.from((await r.get('a')).content).toString(), '1')
  await code(t, r.put({ id: 'b', content: bytes('2'), createdAt: 1, causalParent: null, metadata: {} }), 'INVALID_ARGUMENT')
  await code(t, repairStore(path), 'STORE_LOCKED')
  await r.close()
  await w.close()
  const again = await FileDgent.open({ path })
  t.is(await again.count(), 1)
  await again.close()
})

test('[fallback-FileDgent] compaction shrinks the log and keeps every live datum and the list order', async (t) => {
  const path = freshDir()
  const s = await FileDgent.open({ path, durability: 'none' })
  for (let i = 0; i < 500; i++) await s.put({ id: `k${i % 10}`, content: new Uint8Array(100).fill(i % 256), createdAt: i, causalParent: null, metadata: {} })
  await s.delete('k3')
  const before = await s.list()
  const size = statSync(join(path, 'data.log')).size
  await s.compact()
  t.true(statSync(join(path, 'data.log')).size < size / 10)
  t.deepEqual(await s.list(), before)
  await s.put({ id: 'after', content: bytes('x'), createdAt: 1000, causalParent: null, metadata: {} })
  await s.close()
  const r = await FileDgent.open({ path })
  t.deepEqual((await r.list()).slice(1), before)
  t.is((await r.list())[0].id, 'after')
  await r.close()
})

test('[fallback-FileDgent] a torn tail is cut off and everything before it kept', async (t) => {
  const path = freshDir()
  const s = await FileDgent.open({ path })
  for (let i = 0; i < 5; i++) await s.put({ id: `k${i}`, content: bytes(`v${i}`), createdAt: i, causalParent: null, metadata: {} })
  await s.close()
  const file = join(path, 'data.log')
  const full = readFileSync(file)
  writeFileSync(file, full.subarray(0, full.length - 3)) // the last record cut short
  const r = await FileDgent.open({ path })
  t.is(await r.count(), 4)
  t.false(await r.exists('k4'))
  await r.put({ id: 'k5', content: bytes('v5'), createdAt: 5, causalParent: null, metadata: {} })
  await r.close()
  const again = await FileDgent.open({ path })
  t.deepEqual((await again.list()).map((d) => d.id), ['k5', 'k3', 'k2', 'k1', 'k0'])
  await again.close()
})

test('[fallback-FileDgent] a flipped byte mid-file is STORE_CORRUPT naming file and offset; repairStore salvages the rest', async (t) => {
  const path = freshDir()
  const s = await FileDgent.open({ path })
  for (let i = 0; i < 10; i++) await s.put({ id: `k${i}`, content: new Uint8Array(64).fill(i), createdAt: i, causalParent: null, metadata: {} })
  await s.close()
  const file = join(path, 'data.log')
  const buf = readFileSync(file)
  buf[Math.floor(buf.length / 2)] ^= 0x10
  writeFileSync(file, buf)
  const e = await code(t, FileDgent.open({ path }), 'STORE_CORRUPT')
  t.regex(e.message, /data\.log/)
  t.regex(e.message, /offset \d+/)
  await code(t, FileDgent.open({ path, readOnly: true }), 'STORE_CORRUPT')
  const report = await repairStore(path)
  t.is(report.droppedRegions, 1)
  t.is(report.keptRecords, 9)
  t.true(existsSync(report.backup))
  t.deepEqual(readFileSync(report.backup), buf)
  const r = await FileDgent.open({ path })
  t.is(await r.count(), 9)
  await r.close()
})

test('[fallback-FileDgent] a datum store and a vector store are not interchangeable', async (t) => {
  const path = freshDir()
  await (await DgentVectorBackend.open({ dimension: 2, dataDir: path })).close()
  await code(t, FileDgent.open({ path }), 'STORE_MISMATCH')
})
