// The D-gent tier as it fails in the field: a child process writing under load is SIGKILLed at random
// moments, many times over the same store; after each kill every acknowledged write must be present
// byte for byte and no batch may be half-present. Also: two writers racing for one store, and a
// full disk (a file-size limit on the writer).
import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DgentVectorBackend, FileDgent } from 'vgent'
import { batchSize, datumBytes, vectorFor, DIM } from './dgent/crash-model.mjs'
import { mulberry32 } from './conformance/helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const writerScript = join(here, 'dgent', 'crash-writer.mjs')
const root = mkdtempSync(join(tmpdir(), 'vgent-crash-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))

const seed = Number(process.env.VGENT_CRASH_SEED ?? Date.now() % 100000)
const KILLS = Number(process.env.VGENT_CRASH_KILLS ?? 15)

/**
 * Runs the writer; kills it `killAfterMs` after it is ready (never, if null) and after `killAfter`
 * resolves. `onStarted` hears its first `ready` or `error` line.
 */
function runWriter(args, { killAfterMs = null, shell = null, killAfter = Promise.resolve(), onStarted = () => {} } = {}) {
  const [cmd, argv] = shell ? ['bash', ['-c', `${shell}; exec "${process.execPath}" "${writerScript}" ${args.map((a) => `"${a}"`).join(' ')}`]] : [process.execPath, [writerScript, ...args]]
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = []
  let buffered = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.on('data', (d) => {
    buffered += d
    const parts = buffered.split('\n')
    buffered = parts.pop()
    for (const line of parts) {
      lines.push(line)
      if (line === 'ready' || line.startsWith('error')) onStarted()
      if (line === 'ready' && killAfterMs !== null) killAfter.then(() => setTimeout(() => child.kill('SIGKILL'), killAfterMs))
    }
  })
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ lines, code, signal, stderr })))
}

function parseAcks(lines) {
  const acks = { batch: new Set(), remove: new Set(), datum: new Set(), fail: [] }
  for (const line of lines) {
    const [word, kind, n] = line.split(' ')
    if (word === 'ack') acks[kind].add(Number(n))
    if (word === 'fail') acks.fail.push(kind + ' ' + n)
  }
  return acks
}

/** Checks batches [from, to) of a vector store against what was acknowledged; returns ids present. */
async function auditVectors(t, store, from, to, acks) {
  let present = 0
  for (let k = from; k < to; k++) {
    const n = batchSize(k)
    const got = await Promise.all(Array.from({ length: n }, (_, i) => store.get(`${k}:${i}`)))
    const rest = got.slice(1).filter(Boolean).length
    // Entry 0 may be removed later; the other entries of a batch are all there or all missing.
    if (rest !== 0 && rest !== n - 1) t.fail(`batch ${k} is half-present: ${rest} of ${n - 1}`)
    if (acks.batch.has(k) && n > 1 && rest === 0) t.fail(`acknowledged batch ${k} is missing`)
    if (acks.remove.has(k) && got[0]) t.fail(`acknowledged remove of ${k}:0 came back`)
    if (got[0] && n > 1 && rest === 0) t.fail(`batch ${k}: entry 0 without the rest`)
    for (let i = 0; i < n; i++) {
      const e = got[i]
      if (!e) continue
      present++
      const want = vectorFor(k, i)
      if (Buffer.compare(Buffer.from(e.embedding.vector.buffer, e.embedding.vector.byteOffset, DIM * 4), Buffer.from(want.buffer)) !== 0) t.fail(`${k}:${i} differs`)
      if (e.metadata.k !== k || e.metadata.i !== i) t.fail(`${k}:${i} metadata differs`)
    }
  }
  return present
}

test.serial(`[dgent crash] SIGKILL under load, ${KILLS} times on one store: acknowledged batches all there, none half-present (seed ${seed})`, async (t) => {
  const rand = mulberry32(seed)
  const dataDir = join(root, 'vector-kills')
  const runs = []
  for (let r = 0; r < KILLS; r++) {
    const first = r * 100000
    const killAfterMs = 20 + Math.floor(rand() * 250)
    const { lines, signal, stderr } = await runWriter(['vector', dataDir, String(first)], { killAfterMs })
    t.is(signal, 'SIGKILL', stderr)
    const acks = parseAcks(lines)
    t.true(acks.batch.size > 0, `run ${r} acknowledged nothing (killed after ${killAfterMs} ms)`)
    runs.push({ first, acks, upto: Math.max(...acks.batch) + 16 }) // batch numbers are absolute
    // Audit every run so far: the store is reopened after a crash each time.
    const store = await DgentVectorBackend.open({ dimension: DIM, metric: 'euclidean', dataDir })
    let present = 0
    for (const run of runs) present += await auditVectors(t, store, run.first, run.upto, run.acks)
    t.is(await store.count(), present, 'the store holds something that was never written')
    await store.close()
  }
  t.log(`${KILLS} kills, ${runs.reduce((s, r) => s + r.acks.batch.size, 0)} acknowledged batches audited`)
})

test.serial(`[dgent crash] FileDgent: SIGKILL under load, acknowledged datums all there byte for byte (seed ${seed})`, async (t) => {
  const rand = mulberry32(seed + 1)
  const path = join(root, 'datum-kills')
  const acked = new Set()
  let upto = 0
  for (let r = 0; r < Math.ceil(KILLS / 2); r++) {
    const first = r * 100000
    const { lines, signal } = await runWriter(['datum', path, String(first)], { killAfterMs: 20 + Math.floor(rand() * 200) })
    t.is(signal, 'SIGKILL')
    const acks = parseAcks(lines)
    t.true(acks.datum.size > 0)
    for (const k of acks.datum) acked.add(k)
    upto = Math.max(...acks.datum) + 8
    const store = await FileDgent.open({ path })
    let present = 0
    for (let base = 0; base <= first; base += 100000) {
      for (let k = base; k < (base === first ? upto : base + 100000); k++) {
        const d = await store.get(`d${k}`)
        if (!d) {
          if (acked.has(k)) t.fail(`acknowledged datum d${k} is missing`)
          continue
        }
        present++
        if (Buffer.compare(Buffer.from(d.content), Buffer.from(datumBytes(k))) !== 0) t.fail(`d${k} content differs`)
        if (d.createdAt !== k || d.metadata.k !== String(k) || d.causalParent !== (k > 0 ? `d${k - 1}` : null)) t.fail(`d${k} fields differ`)
      }
    }
    t.is(await store.count(), present)
    await store.close()
  }
})

test.serial('[dgent crash] two writers racing for one store: exactly one gets it, the other STORE_LOCKED', async (t) => {
  const dataDir = join(root, 'race')
  // The winner dies only once both have tried to open: on a loaded machine one may start late, and
  // it would then rightly take over the dead winner's stale lock.
  let started = 0
  let bothStarted
  const killAfter = new Promise((resolve) => (bothStarted = resolve))
  const onStarted = () => ++started === 2 && bothStarted()
  const [a, b] = await Promise.all([
    runWriter(['vector', dataDir, '0'], { killAfterMs: 150, killAfter, onStarted }),
    runWriter(['vector', dataDir, '500000'], { killAfterMs: 150, killAfter, onStarted }),
  ])
  const outcomes = [a, b].map((r) => (r.lines.includes('ready') ? 'ready' : r.lines.find((l) => l.startsWith('error')))).sort()
  t.deepEqual(outcomes, ['error STORE_LOCKED', 'ready'])
  const winner = a.lines.includes('ready') ? { r: a, first: 0 } : { r: b, first: 500000 }
  // The dead winner's lock is stale: the next open takes it over, and its acknowledged writes are there.
  const store = await DgentVectorBackend.open({ dimension: DIM, metric: 'euclidean', dataDir })
  const acks = parseAcks(winner.r.lines)
  const present = await auditVectors(t, store, winner.first, Math.max(winner.first, ...acks.batch) + 16, acks)
  t.is(await store.count(), present)
  await store.close()
})

test.serial('[dgent crash] a full disk fails the write with IO_ERROR, keeps everything acknowledged, and the store reopens', async (t) => {
  const dataDir = join(root, 'full')
  const limitKiB = 96
  // The size limit makes write(2) fail with EFBIG past 96 KiB, as a full disk fails with ENOSPC.
  const { lines, code, stderr } = await runWriter(['vector', dataDir, '0'], { shell: `ulimit -f ${limitKiB}; trap '' XFSZ` })
  t.is(code, 0, stderr)
  const acks = parseAcks(lines)
  t.true(acks.fail.length >= 1)
  t.regex(acks.fail[0], /IO_ERROR$/)
  t.true(acks.batch.size > 5)
  t.true(statSync(join(dataDir, 'data.log')).size <= limitKiB * 1024)
  const store = await DgentVectorBackend.open({ dimension: DIM, metric: 'euclidean', dataDir })
  const present = await auditVectors(t, store, 0, Math.max(...acks.batch) + 16, acks)
  t.is(await store.count(), present)
  // With room again, the store takes writes.
  await store.add('after', vectorFor(1, 1))
  t.true(await store.exists('after'))
  await store.close()
})
