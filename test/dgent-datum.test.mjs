// The D-gent datum protocol (MemoryDgent, FileDgent on real files) and the vector tier stored as
// datums through it: the shared datum suite, the vector conformance suite over both datum stores,
// persistence, locking, read-only snapshots, corruption and repair.
import test from 'ava'
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DgentVectorBackend, FileDgent, MemoryDgent, VgentError, repairStore } from 'vgent'
import { runConformanceSuite } from './conformance/suite.mjs'
import { runDatumSuite } from './dgent/datum-suite.mjs'

const root = mkdtempSync(join(tmpdir(), 'vgent-datum-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `store-${serial++}`)
const bytes = (s) => new TextEncoder().encode(s)

runDatumSuite(test, { name: 'MemoryDgent', create: async () => new MemoryDgent() })
runDatumSuite(test, { name: 'FileDgent', create: () => FileDgent.open({ path: freshDir() }) })

// The vector tier through a caller's DgentProtocol: each store gets its own datum store.
const owned = new WeakMap()
runConformanceSuite(test, {
  name: 'dgent-over-MemoryDgent',
  create: async (opts) => {
    const dgent = new MemoryDgent()
    const store = await DgentVectorBackend.open({ ...opts, dgent })
    owned.set(store, dgent)
    return store
  },
  teardown: (store) => owned.get(store)?.close(),
})
runConformanceSuite(test, {
  name: 'dgent-over-FileDgent',
  create: async (opts) => {
    const dgent = await FileDgent.open({ path: freshDir(), durability: 'none' })
    const store = await DgentVectorBackend.open({ ...opts, dgent })
    owned.set(store, dgent)
    return store
  },
  teardown: (store) => owned.get(store)?.close(),
})

async function code(t, promise, expected) {
  const e = await t.throwsAsync(promise, { instanceOf: VgentError })
  t.is(e.code, expected, e.message)
  return e
}

test('[FileDgent] everything written before close reads back after reopening, tombstones included', async (t) => {
  const path = freshDir()
  const a = await FileDgent.open({ path })
  for (let i = 0; i < 50; i++) await a.put({ id: `k${i}`, content: bytes(`v${i}`), createdAt: i, causalParent: i ? `k${i - 1}` : null, metadata: { i: String(i), 'ключ': 'значение' } })
  await a.delete('k10')
  await a.delete('k20')
  await a.put({ id: 'k20', content: bytes('back'), createdAt: 99, causalParent: null, metadata: {} }) // deleted, then re-added
  const before = await a.list({ limit: 1000 })
  await a.close()

  const b = await FileDgent.open({ path })
  t.is(await b.count(), 49)
  t.deepEqual(await b.list({ limit: 1000 }), before)
  t.is(await b.get('k10'), null)
  t.is(Buffer.from((await b.get('k20')).content).toString(), 'back')
  t.deepEqual((await b.causalChain('k12')).map((d) => d.id), ['k11', 'k12']) // k10 is gone
  await b.close()
})

test('[FileDgent] one writer at a time; read-only opens beside it and refuses writes', async (t) => {
  const path = freshDir()
  const w = await FileDgent.open({ path })
  await w.put({ id: 'a', content: bytes('1'), createdAt: 1, causalParent: null, metadata: {} })
  await code(t, FileDgent.open({ path }), 'STORE_LOCKED')
  const r = await FileDgent.open({ path, readOnly: true })
  t.true(r.readOnly)
  t.is(Buffer.from((await r.get('a')).content).toString(), '1')
  await code(t, r.put({ id: 'b', content: bytes('2'), createdAt: 1, causalParent: null, metadata: {} }), 'INVALID_ARGUMENT')
  await code(t, repairStore(path), 'STORE_LOCKED')
  await r.close()
  await w.close()
  const again = await FileDgent.open({ path }) // the lock is released on close
  t.is(await again.count(), 1)
  await again.close()
})

test('[FileDgent] compaction shrinks the log and keeps every live datum and the list order', async (t) => {
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

test('[FileDgent] a flipped byte mid-file is STORE_CORRUPT naming file and offset; repairStore salvages the rest', async (t) => {
  const path = freshDir()
  const s = await FileDgent.open({ path })
  for (let i = 0; i < 10; i++) await s.put({ id: `k${i}`, content: new Uint8Array(64).fill(i), createdAt: i, causalParent: null, metadata: {} })
  await s.close()
  const file = join(path, 'data.log')
  const buf = readFileSync(file)
  const at = Math.floor(buf.length / 2)
  buf[at] ^= 0x10
  writeFileSync(file, buf)
  const e = await code(t, FileDgent.open({ path }), 'STORE_CORRUPT')
  t.regex(e.message, /data\.log/)
  t.regex(e.message, /offset \d+/)
  const report = await repairStore(path)
  t.is(report.droppedRegions, 1)
  t.is(report.keptRecords, 9)
  t.true(existsSync(report.backup))
  const r = await FileDgent.open({ path })
  t.is(await r.count(), 9)
  await r.close()
})

test('[FileDgent] a torn tail is cut off and everything before it kept', async (t) => {
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

test('[FileDgent] a datum store and a vector store are not interchangeable', async (t) => {
  const path = freshDir()
  await (await DgentVectorBackend.open({ dimension: 2, dataDir: path })).close()
  await code(t, FileDgent.open({ path }), 'STORE_MISMATCH')
})

test('[dgent over a DgentProtocol] vectors are datums <namespace>:<id> holding float32 LE bytes', async (t) => {
  const dgent = new MemoryDgent()
  const s = await DgentVectorBackend.open({ dimension: 3, metric: 'euclidean', namespace: 'docs', dgent })
  await s.add('a:b', [1, 2.5, -3], { lang: 'en', tags: ['x'] })
  const d = await dgent.get('docs:a:b')
  t.deepEqual([...new Float32Array(d.content.buffer.slice(d.content.byteOffset, d.content.byteOffset + 12))], [1, 2.5, -3])
  t.deepEqual(Buffer.from(d.content), Buffer.from(new Float32Array([1, 2.5, -3]).buffer))
  t.deepEqual(JSON.parse(d.metadata['vgent.metadata']), { lang: 'en', tags: ['x'] })
  t.is(s.dataDir, null)
  await s.close()
  t.true(await dgent.exists('docs:a:b')) // closing the backend leaves the caller's D-gent open
  await dgent.close()
})

test('[dgent over a DgentProtocol] namespaces are isolated: `a` never sees `ab` or another namespace', async (t) => {
  const dgent = new MemoryDgent()
  const a = await DgentVectorBackend.open({ dimension: 2, namespace: 'a', dgent })
  const ab = await DgentVectorBackend.open({ dimension: 2, namespace: 'ab', dgent })
  await a.add('b:x', [1, 0])
  await ab.add('x', [0, 1])
  await dgent.put({ id: 'a', content: bytes('not a vector'), createdAt: 1, causalParent: null, metadata: {} })
  await a.close()
  await ab.close()
  const a2 = await DgentVectorBackend.open({ dimension: 2, namespace: 'a', dgent })
  const ab2 = await DgentVectorBackend.open({ dimension: 2, namespace: 'ab', dgent })
  t.deepEqual((await a2.search([1, 1], { limit: 10 })).map((r) => r.id), ['b:x'])
  t.deepEqual((await ab2.search([1, 1], { limit: 10 })).map((r) => r.id), ['x'])
  t.is(await ab2.clear(), 1)
  t.is(await a2.count(), 1)
  t.true(await dgent.exists('a:b:x'))
  await code(t, DgentVectorBackend.open({ dimension: 2, namespace: 'a:b', dgent }), 'INVALID_ARGUMENT')
  await a2.close()
  await ab2.close()
  await dgent.close()
})

test('[dgent over a DgentProtocol] the index is rebuilt from list on reopen, and a mismatch says what is stored', async (t) => {
  const path = freshDir()
  let dgent = await FileDgent.open({ path })
  const s = await DgentVectorBackend.open({ dimension: 4, metric: 'dot_product', namespace: 'n', dgent })
  const ids = ['plain', 'ünïcödé-键-🔑', 'x'.repeat(1024), 'gone', 'back']
  await s.addBatch(ids.map((id, i) => ({ id, vector: [i, i + 0.5, -i, 1], metadata: { i, ok: i % 2 === 0, tags: [String(i)] } })))
  await s.remove('gone')
  await s.remove('back')
  await s.add('back', [7, 7, 7, 7])
  const before = await Promise.all(ids.map((id) => s.get(id)))
  await s.close()
  await dgent.close()

  dgent = await FileDgent.open({ path })
  const e = await code(t, DgentVectorBackend.open({ dimension: 8, metric: 'dot_product', namespace: 'n', dgent }), 'STORE_MISMATCH')
  t.regex(e.message, /dimension 4 with metric dot_product/)
  const r = await DgentVectorBackend.open({ dimension: 4, metric: 'dot_product', namespace: 'n', dgent })
  const after = await Promise.all(ids.map((id) => r.get(id)))
  const view = (list) => list.map((x) => x && { id: x.id, v: [...x.embedding.vector], m: x.metadata })
  t.deepEqual(view(after), view(before))
  t.is(after[3], null)
  t.is(await r.count(), 4)
  t.is((await r.search([7, 7, 7, 7], { limit: 1 }))[0].id, 'back')
  await r.compact() // FileDgent.compact through the backend
  await r.close()
  await dgent.close()
})

test('[dgent over a DgentProtocol] a datum store that fails mid-batch leaves neither it nor the index changed', async (t) => {
  const inner = new MemoryDgent()
  let failAt = Infinity
  let puts = 0
  const flaky = {
    put: async (d) => {
      if (++puts === failAt) throw new Error('disk on fire')
      return inner.put(d)
    },
    get: (id) => inner.get(id),
    delete: (id) => inner.delete(id),
    list: (o) => inner.list(o),
    causalChain: (id) => inner.causalChain(id),
    exists: (id) => inner.exists(id),
    count: () => inner.count(),
    close: () => inner.close(),
  }
  const s = await DgentVectorBackend.open({ dimension: 2, dgent: flaky })
  await s.addBatch([{ id: 'a', vector: [1, 0], metadata: { v: 1 } }, { id: 'b', vector: [0, 1] }])
  const datumsBefore = await inner.list({ limit: 100 })
  failAt = puts + 3 // the third put of the next batch fails
  await t.throwsAsync(s.addBatch([{ id: 'a', vector: [5, 5], metadata: { v: 2 } }, { id: 'c', vector: [1, 1] }, { id: 'd', vector: [2, 2] }]), { message: /disk on fire/ })
  t.is(await s.count(), 2)
  t.deepEqual([...(await s.get('a')).embedding.vector], [1, 0])
  t.deepEqual((await s.get('a')).metadata, { v: 1 })
  const datumsAfter = await inner.list({ limit: 100 })
  t.deepEqual(datumsAfter.map((d) => [d.id, Buffer.from(d.content).toString('hex'), d.metadata]).sort(), datumsBefore.map((d) => [d.id, Buffer.from(d.content).toString('hex'), d.metadata]).sort())
  await s.close()
  await inner.close()
})

test('[dgent] read-only open of the native store works beside a writer and sees its acknowledged writes', async (t) => {
  const dataDir = freshDir()
  const w = await DgentVectorBackend.open({ dimension: 2, dataDir })
  await w.addBatch([{ id: 'a', vector: [1, 0] }, { id: 'b', vector: [0, 1] }])
  const r = await DgentVectorBackend.open({ dimension: 2, dataDir, readOnly: true })
  t.is(await r.count(), 2)
  await code(t, r.add('c', [1, 1]), 'INVALID_ARGUMENT')
  await code(t, DgentVectorBackend.open({ dimension: 3, dataDir, readOnly: true }), 'STORE_MISMATCH')
  await r.close()
  await w.close()
})

test('[dgent] repairStore salvages a damaged vector store', async (t) => {
  const dataDir = freshDir()
  const s = await DgentVectorBackend.open({ dimension: 8, dataDir })
  for (let i = 0; i < 20; i++) await s.add(`v${i}`, Array.from({ length: 8 }, (_, j) => i + j + 1))
  await s.close()
  const file = join(dataDir, 'data.log')
  const buf = readFileSync(file)
  buf[Math.floor(buf.length * 0.6)] ^= 0xff
  writeFileSync(file, buf)
  await code(t, DgentVectorBackend.open({ dimension: 8, dataDir }), 'STORE_CORRUPT')
  const report = await repairStore(dataDir)
  t.is(report.keptRecords, 20) // 21 records (info + 20 adds), one lost
  t.true(report.droppedBytes > 0)
  const r = await DgentVectorBackend.open({ dimension: 8, dataDir })
  t.is(await r.count(), 19)
  await r.close()
})
