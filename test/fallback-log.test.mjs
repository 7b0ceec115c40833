// The TypeScript log (src/fallback/log) against the Rust one: a store written by either core opens in
// the other with everything intact (ids, bit-exact vectors, metadata, datums), the torn-tail and
// corruption rules agree, repair salvages the same bytes, and the two writers exclude each other.
import test from 'ava'
import { createRequire } from 'node:module'
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, symlinkSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const rust = require('../index.js')
const { crc32c } = require('../dist/fallback/log/crc32c.js')
const { PersistentCollection } = require('../dist/fallback/log/persistent-collection.js')
const { PersistentDgent } = require('../dist/fallback/log/persistent-dgent.js')
const { repair } = require('../dist/fallback/log/repair.js')
const { innerCollection, innerDgent } = require('./fallback/inner.cjs')

const root = mkdtempSync(join(tmpdir(), 'vgent-fallback-log-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshDir = () => join(root, `store-${serial++}`)

const ts = {
  open: (dir, dim, metric, fsync = false) => PersistentCollection.open(dir, dim, metric, fsync, innerCollection),
  readOnly: (dir, dim, metric) => PersistentCollection.openReadOnly(dir, dim, metric, innerCollection),
  dgent: (dir, fsync = false) => PersistentDgent.open(dir, fsync, innerDgent),
  dgentReadOnly: (dir) => PersistentDgent.openReadOnly(dir, innerDgent),
}
const native = {
  open: (dir, dim, metric, fsync = false) => rust.NativeCollection.openPersistent(dir, dim, metric, fsync),
  readOnly: (dir, dim, metric) => rust.openPersistentAsync(dir, dim, metric, false, true),
  dgent: (dir, fsync = false) => rust.openDgentAsync(dir, fsync, false),
  dgentReadOnly: (dir) => rust.openDgentAsync(dir, false, true),
}

/** Runs `f`, returning the `CODE: message` it threw (sync or async). */
async function thrown(f) {
  try {
    await f()
  } catch (e) {
    return e.message
  }
  throw new Error('expected a throw')
}

/** Everything a vector store holds, vectors as raw bytes so that the comparison is bit-exact. */
function snapshot(c) {
  const ids = c.ids().sort()
  const batch = c.getMany(ids)
  const md = JSON.parse(batch.metadataJson)
  return {
    count: c.count(),
    entries: batch.ids.map((id, i) => ({
      id,
      bytes: Buffer.from(batch.vectors.buffer, batch.vectors.byteOffset + i * 4 * (batch.vectors.length / batch.ids.length), 4 * (batch.vectors.length / batch.ids.length)).toString('hex'),
      metadata: md[i],
    })),
  }
}

function datums(d) {
  return d.list('', null, 1e6).map((x) => ({ ...x, content: Buffer.from(x.content).toString('hex'), metadata: JSON.parse(x.metadataJson), metadataJson: undefined, causalParent: x.causalParent ?? null }))
}

// A deterministic mix: Unicode and 1 KiB ids, float32 values that are not round in decimal, every
// metadata type, a replaced entry, a delete, and a delete-then-re-add.
function writeVectors(c, dim) {
  let seed = 7
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
  const ids = ['plain', 'ünïcödé-键-🔑', 'x'.repeat(1024), 'gone', 'back', ...Array.from({ length: 40 }, (_, i) => `r${i}`)]
  const v = new Float32Array(ids.length * dim).map(() => rnd() * 1e3)
  v[0] = 1e-40 // a subnormal survives bit for bit
  const md = ids.map((id, i) => (i % 3 === 0 ? null : { i, s: `ü${id.slice(0, 4)}`, ok: i % 2 === 0, tags: ['a', id.slice(0, 2)], f: i / 7 }))
  c.upsert(ids, v, JSON.stringify(md))
  c.upsert(['plain'], new Float32Array(dim).fill(0.1), JSON.stringify([{ updated: true }]))
  c.remove('gone')
  c.remove('back')
  c.upsert(['back'], new Float32Array(dim).fill(-3.3), null)
}

const dir2 = [
  ['native', 'TypeScript'],
  ['TypeScript', 'native'],
]
const impl = { native, TypeScript: ts }

for (const [w, r] of dir2) {
  test(`vector store written by the ${w} core reads back identically in the ${r} core`, async (t) => {
    const dir = freshDir()
    const a = await impl[w].open(dir, 5, 'euclidean', true)
    writeVectors(a, 5)
    await a.syncAsync()
    const before = snapshot(a)
    const hits = a.search(new Float32Array([1, 2, 3, 4, 5]), 5)
    a.close()

    const b = await impl[r].open(dir, 5, 'euclidean', true)
    t.deepEqual(snapshot(b), before)
    // Same hits; scores agree to float32 precision (the native kernels sum in float32 SIMD lanes).
    const got = b.search(new Float32Array([1, 2, 3, 4, 5]), 5)
    const parsed = (h) => [h.id, h.metadata && JSON.parse(h.metadata)]
    t.deepEqual(got.map(parsed), hits.map(parsed))
    got.forEach((h, i) => t.true(Math.abs(h.distance - hits[i].distance) <= 1e-6 * Math.abs(hits[i].distance), `${h.distance} vs ${hits[i].distance}`))
    // Keep writing in the second core, compact, write after the compaction, and come back.
    b.upsert(['late'], new Float32Array([1, 1, 1, 1, 1]), JSON.stringify([{ late: 'yes' }]))
    b.remove('r3')
    b.compact()
    b.upsert(['after-compact'], new Float32Array([2, 2, 2, 2, 2]), null)
    await b.syncAsync()
    const then = snapshot(b)
    b.close()

    const c = await impl[w].open(dir, 5, 'euclidean', true)
    t.deepEqual(snapshot(c), then)
    t.is(c.count(), before.count + 1)
    c.close()
    const ro = await impl[r].readOnly(dir, 5, 'euclidean')
    t.deepEqual(snapshot(ro), then)
    ro.close()
  })

  test(`datum store written by the ${w} core reads back identically in the ${r} core`, async (t) => {
    const dir = freshDir()
    const a = await impl[w].dgent(dir, true)
    a.put('ünï:键:🔑', new Uint8Array([0, 255, 1, 254, 0]), 1700000000123.5, 'parent-😀', JSON.stringify({ 'clé': 'välue', empty: '', z: '1', a: '2' }))
    a.put('parent-😀', new Uint8Array(0), -5.25, null, '{}')
    for (let i = 0; i < 30; i++) a.put(`n${i}`, Buffer.from(`content ${i}`), 1000 + (i % 4), i ? `n${i - 1}` : null, JSON.stringify({ i: String(i) }))
    a.put('n3', Buffer.from('replaced'), 999, null, '{}')
    a.delete('n7')
    await a.syncAsync()
    const before = datums(a)
    const chain = a.causalChain('n12').map((d) => d.id)
    a.close()

    const b = await impl[r].dgent(dir, true)
    t.deepEqual(datums(b), before)
    t.deepEqual(b.causalChain('n12').map((d) => d.id), chain)
    b.put('late', Buffer.from('x'), 5e12, 'n29', '{"k":"v"}')
    b.delete('n0')
    b.compact()
    b.put('after', Buffer.from('y'), 1000, null, '{}') // ties n0's time: write order decides
    await b.syncAsync()
    const then = datums(b)
    b.close()

    const c = await impl[w].dgent(dir)
    t.deepEqual(datums(c), then)
    c.close()
    const ro = await impl[r].dgentReadOnly(dir)
    t.deepEqual(datums(ro), then)
    ro.close()
  })
}

test('CRC-32C matches the standard check values', (t) => {
  t.is(crc32c(Buffer.from('123456789')), 0xe3069283)
  t.is(crc32c(Buffer.alloc(32)), 0x8a9136aa)
  t.is(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43)
  t.is(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e)
})

test('a fresh store is the same bytes from either core', async (t) => {
  const [a, b] = [freshDir(), freshDir()]
  native.open(a, 3, 'cosine').close()
  ts.open(b, 3, 'cosine').close()
  t.deepEqual(readFileSync(join(b, 'data.log')), readFileSync(join(a, 'data.log')))
  ;(await native.dgent(join(a, 'd'))).close()
  ts.dgent(join(b, 'd')).close()
  t.deepEqual(readFileSync(join(b, 'd', 'data.log')), readFileSync(join(a, 'd', 'data.log')))
})

test('a torn tail reopens with the acknowledged records, in both cores', async (t) => {
  const dir = freshDir()
  const s = ts.open(dir, 4, 'cosine', true)
  for (let i = 0; i < 5; i++) s.upsert([`k${i}`], new Float32Array([1, i, 2, 3]), null)
  await s.syncAsync()
  s.close()
  const file = join(dir, 'data.log')
  const full = statSync(file).size
  const lastRecord = 8 + 1 + 4 + 2 + 4 + 16
  const copy = freshDir()
  mkdirSync(copy)
  truncateSync(file, full - 7) // mid-record: the last put was cut short
  copyFileSync(file, join(copy, 'data.log'))

  const r = ts.open(dir, 4, 'cosine')
  t.is(r.count(), 4)
  t.false(r.has('k4'))
  t.is(r.report.tornBytes, lastRecord - 7)
  t.is(statSync(file).size, full - lastRecord) // the torn tail was cut off
  r.upsert(['k9'], new Float32Array([1, 1, 1, 1]), null)
  r.close()
  const n = native.open(dir, 4, 'cosine')
  t.deepEqual(n.ids().sort(), ['k0', 'k1', 'k2', 'k3', 'k9'])
  n.close()
  const nc = native.open(copy, 4, 'cosine')
  t.is(nc.count(), 4)
  nc.close()
})

test('a zeroed page at the end, or zeros after the last record, are a torn write in both cores', async (t) => {
  const dir = freshDir()
  const s = ts.open(dir, 1024, 'euclidean')
  s.upsert(['a'], new Float32Array(1024).fill(1), null)
  s.upsert(['b'], new Float32Array(1024).fill(2), null) // spans a page boundary
  s.close()
  const file = join(dir, 'data.log')
  const bytes = readFileSync(file)
  const lastStart = bytes.length - (8 + 1 + 4 + 1 + 4 + 4096)
  const page = (Math.floor(lastStart / 4096) + 1) * 4096
  const zeroPage = Buffer.from(bytes).fill(0, page)
  const zeroTail = Buffer.concat([bytes.subarray(0, lastStart), Buffer.alloc(300)])
  for (const damaged of [zeroPage, zeroTail]) {
    const [a, b] = [freshDir(), freshDir()]
    for (const d of [a, b]) {
      mkdirSync(d)
      writeFileSync(join(d, 'data.log'), damaged)
    }
    const r = ts.open(a, 1024, 'euclidean')
    t.deepEqual(r.ids(), ['a'])
    r.close()
    const n = native.open(b, 1024, 'euclidean')
    t.deepEqual(n.ids(), ['a'])
    n.close()
    t.deepEqual(readFileSync(join(a, 'data.log')), readFileSync(join(b, 'data.log')))
  }
  // The same zeros with bytes after them are damage, not a torn write.
  const d = freshDir()
  mkdirSync(d)
  writeFileSync(join(d, 'data.log'), Buffer.concat([zeroPage, Buffer.from([1])]))
  t.regex(await thrown(() => ts.open(d, 1024, 'euclidean')), /^STORE_CORRUPT: /)
  t.regex(await thrown(() => native.open(d, 1024, 'euclidean')), /^STORE_CORRUPT: /)
})

test('a damaged record in the middle is STORE_CORRUPT in both cores (same offset); repair salvages the same bytes', async (t) => {
  const dir = freshDir()
  const s = ts.open(dir, 2, 'euclidean')
  for (let i = 0; i < 10; i++) s.upsert([`k${i}`], new Float32Array([i, i]), JSON.stringify([{ i }]))
  s.close()
  const file = join(dir, 'data.log')
  const bytes = readFileSync(file)
  bytes[bytes.indexOf('k5') + 2 + 4 + 1] ^= 0x40 // inside k5's vector
  writeFileSync(file, bytes)
  const twin = freshDir()
  mkdirSync(twin)
  writeFileSync(join(twin, 'data.log'), bytes)

  const fromTs = await thrown(() => ts.open(dir, 2, 'euclidean'))
  const fromRust = await thrown(() => native.open(dir, 2, 'euclidean'))
  t.regex(fromTs, /^STORE_CORRUPT: .*record at offset \d+ fails its checksum/)
  t.is(fromTs, fromRust)
  t.is(await thrown(() => ts.readOnly(dir, 2, 'euclidean')), await thrown(() => native.readOnly(dir, 2, 'euclidean')))

  const report = repair(dir)
  const rustReport = await rust.repairStoreAsync(twin)
  t.deepEqual(report, rustReport)
  t.is(report.keptRecords, 10) // the store info and nine of the ten puts
  t.is(report.droppedRegions, 1)
  t.deepEqual(readFileSync(join(dir, 'data.log')), readFileSync(join(twin, 'data.log')))
  t.deepEqual(readFileSync(join(dir, 'data.log.corrupt')), bytes)
  const r = ts.open(dir, 2, 'euclidean')
  t.is(r.count(), 9)
  r.close()
})

test('errors for a mismatched store, a store of the other kind and a foreign file match the native ones', async (t) => {
  const dir = freshDir()
  ts.open(dir, 3, 'cosine').close()
  const other = (d) => d.replace(dir, '<dir>')
  for (const [f, g] of [
    [() => ts.open(dir, 4, 'cosine'), () => native.open(dir, 4, 'cosine')],
    [() => ts.readOnly(dir, 3, 'euclidean'), () => native.readOnly(dir, 3, 'euclidean')],
    [() => ts.dgent(dir), () => native.dgent(dir)],
    [() => ts.dgentReadOnly(dir), () => native.dgentReadOnly(dir)],
  ]) {
    const m = await thrown(f)
    t.regex(m, /^STORE_MISMATCH: /)
    t.is(other(m), other(await thrown(g)))
  }
  t.regex(await thrown(() => ts.open(dir, 4, 'cosine')), /holds dimension 3 with metric cosine; it was opened with dimension 4/)
  const junk = freshDir()
  mkdirSync(junk)
  writeFileSync(join(junk, 'data.log'), 'not a log at all')
  t.is(await thrown(() => ts.open(junk, 3, 'cosine')), await thrown(() => native.open(junk, 3, 'cosine')))
  t.regex(await thrown(() => ts.open(junk, 3, 'cosine')), /^STORE_CORRUPT: .*bad magic/)
})

test('a native writer and a TypeScript writer exclude each other (flock on LOCK)', async (t) => {
  const dir = freshDir()
  const n = native.open(dir, 2, 'cosine')
  t.regex(await thrown(() => ts.open(dir, 2, 'cosine')), /^STORE_LOCKED: /)
  t.regex(await thrown(() => repair(dir)), /^STORE_LOCKED: .*close it before repairing/)
  const ro = ts.readOnly(dir, 2, 'cosine') // a snapshot never needs the lock
  ro.close()
  n.close()

  const f = ts.open(dir, 2, 'cosine')
  t.regex(await thrown(() => native.open(dir, 2, 'cosine')), /^STORE_LOCKED: /)
  t.regex(await thrown(() => rust.repairStoreAsync(dir)), /^STORE_LOCKED: /)
  t.regex(await thrown(() => ts.open(dir, 2, 'cosine')), /^STORE_LOCKED: /) // two TS writers in one process too
  const d = await native.dgentReadOnly(join(dir)).catch((e) => e)
  t.regex(String(d.message ?? ''), /STORE_MISMATCH/) // a vector store is not a datum store, lock or not
  f.close()
  const again = native.open(dir, 2, 'cosine')
  again.close()
  t.pass()
})

test('a TypeScript writer in another process holds the lock until that process dies', async (t) => {
  const dir = freshDir()
  const child = spawn(process.execPath, [
    '-e',
    `const { PersistentDgent } = require(${JSON.stringify(require.resolve('../dist/fallback/log/persistent-dgent.js'))});
     const { innerDgent } = require(${JSON.stringify(require.resolve('./fallback/inner.cjs'))});
     PersistentDgent.open(${JSON.stringify(dir)}, true, innerDgent); console.log('open'); setInterval(() => {}, 1000)`,
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve) => child.stdout.once('data', resolve))
  t.regex(await thrown(() => native.dgent(dir)), /^STORE_LOCKED: /)
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  const n = await native.dgent(dir) // the kernel dropped the dead writer's lock
  n.close()
  t.pass()
})

test.serial('syncs that arrive during an fsync share the next one (group commit); durability none never fsyncs', async (t) => {
  const fs = require('node:fs')
  const original = fs.fdatasync
  let calls = 0
  fs.fdatasync = (fd, cb) => {
    calls++
    setTimeout(() => original(fd, cb), 20)
  }
  t.teardown(() => {
    fs.fdatasync = original
  })
  const dir = freshDir()
  const s = ts.open(dir, 2, 'cosine', true)
  const waits = []
  for (let i = 0; i < 20; i++) {
    s.upsert([`k${i}`], new Float32Array([1, i]), null)
    waits.push(s.syncAsync())
  }
  await Promise.all(waits)
  t.is(calls, 2) // one for the first write, one for the nineteen that queued behind it
  s.close()
  const none = ts.open(freshDir(), 2, 'cosine', false)
  none.upsert(['a'], new Float32Array([1, 1]), null)
  await none.syncAsync()
  none.close()
  t.is(calls, 2)
  const r = native.open(dir, 2, 'cosine')
  t.is(r.count(), 20)
  r.close()
})

/** Starts a child that opens a TypeScript datum writer on `dir` with only `bin` on PATH; resolves with it once open. */
async function childWriter(dir, bin) {
  const child = spawn(process.execPath, [
    '-e',
    `const { PersistentDgent } = require(${JSON.stringify(require.resolve('../dist/fallback/log/persistent-dgent.js'))});
     const { innerDgent } = require(${JSON.stringify(require.resolve('./fallback/inner.cjs'))});
     process.on('warning', (w) => console.error('warning ' + w.code));
     PersistentDgent.open(${JSON.stringify(dir)}, true, innerDgent); console.log('open'); setInterval(() => {}, 1000)`,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: bin } })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve)
    child.once('exit', () => reject(new Error(`child exited: ${stderr}`)))
  })
  return { child, stderr: () => stderr }
}

/** The real path of `name` on this machine's PATH, or null (python3 may be a pyenv shim). */
function which(name) {
  try {
    if (name === 'python3') return execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim()
    return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim() || null
  } catch {
    return null
  }
}

for (const helper of ['flock', 'perl', 'python3']) {
  test(`the lock is taken through ${helper} when it is the only helper on PATH`, async (t) => {
    const real = which(helper)
    if (!real || !existsSync(real)) {
      t.log(`${helper} is not installed here: nothing to check`)
      t.pass()
      return
    }
    const bin = freshDir()
    mkdirSync(bin)
    symlinkSync(real, join(bin, helper))
    const dir = freshDir()
    const { child } = await childWriter(dir, bin)
    t.teardown(() => child.kill('SIGKILL'))
    t.regex(await thrown(() => native.dgent(dir)), /^STORE_LOCKED: /)
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    ;(await native.dgent(dir)).close()
  })
}

test('without any helper the TypeScript writer opens unlocked and warns once (the documented limitation)', async (t) => {
  const bin = freshDir()
  mkdirSync(bin)
  const dir = freshDir()
  const n = await native.dgent(dir)
  const { child, stderr } = await childWriter(dir, bin)
  t.teardown(() => child.kill('SIGKILL'))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.regex(stderr(), /warning VGENT_NO_LOCK/)
  n.close()
})

test.serial('the async opens keep the event loop turning while a big log replays', async (t) => {
  const { persistentFallback } = require('../dist/fallback/persistent.js')
  const fb = persistentFallback()
  const dir = freshDir()
  // 300 000 vectors of dimension 16, one record per 1 000: replaying takes several hundred ms.
  const dim = 16
  const w = ts.open(dir, dim, 'cosine')
  const batch = 1000
  const v = new Float32Array(batch * dim).map((_, i) => Math.sin(i) + 1.5)
  for (let b = 0; b < 300; b++) w.upsert(Array.from({ length: batch }, (_, i) => `v${b * batch + i}`), v, null)
  w.close()

  /** Resolves `open()` while a 5 ms timer runs; returns the open's duration and the longest timer gap. */
  async function measured(open) {
    let last = performance.now()
    let maxGap = 0
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 5)
    const start = performance.now()
    try {
      const store = await open()
      const total = performance.now() - start
      maxGap = Math.max(maxGap, performance.now() - last)
      return { store, total, maxGap }
    } finally {
      clearInterval(timer)
    }
  }
  for (const [what, open] of [
    ['openPersistentAsync', () => fb.openPersistentAsync(dir, dim, 'cosine', false, false)],
    ['openPersistentAsync read-only', () => fb.openPersistentAsync(dir, dim, 'cosine', false, true)],
  ]) {
    const { store, total, maxGap } = await measured(open)
    t.log(`${what}: open ${total.toFixed(0)} ms, longest event-loop gap ${maxGap.toFixed(1)} ms`)
    t.is(store.count(), 300 * batch)
    store.close()
    t.true(total > 300, `${what}: the store is too small to tell (open took ${total.toFixed(0)} ms)`)
    // Relative to the open (a blocking open stands still for all of it), so that a loaded CI machine,
    // which stretches both, does not fail it; the lock helper alone is a ~80 ms step.
    t.true(maxGap < Math.max(100, total / 4), `${what}: the event loop stood still for ${maxGap.toFixed(0)} ms of a ${total.toFixed(0)} ms open`)
  }
})
