// The `vgent` command driven as a user would: spawned processes, real files, a real pseudo-terminal
// (util-linux `script`) for the progress bar.
import test from 'ava'
import { spawnSync, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(repo, 'bin', 'vgent.js')
const root = mkdtempSync(join(tmpdir(), 'vgent-cli-test-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0

function vgent(args, { dataRoot, input } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repo,
    input,
    encoding: 'utf8',
    env: { ...process.env, KGENTS_DATA_ROOT: dataRoot, KGENTS_VGENT_BACKEND: '', KGENTS_POSTGRES_URL: '', KGENTS_QDRANT_URL: '' },
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}
const freshRoot = () => join(root, `r${serial++}`)
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n'

test('index the shipped corpus, then search it by text: the relevant paragraph comes first', (t) => {
  const dataRoot = freshRoot()
  const idx = vgent(['index', 'corpus'], { dataRoot })
  t.is(idx.code, 0, idx.err)
  t.regex(idx.out, /indexed 30 paragraphs from 10 files with local\/hash into dgent/)
  const s = vgent(['search', 'crash recovery with fsync and a log', '-k', '3', '--json'], { dataRoot })
  t.is(s.code, 0, s.err)
  const hits = JSON.parse(s.out)
  t.is(hits.length, 3)
  t.is(hits[0].metadata.path, 'corpus/durability.md')
  t.true(hits[0].similarity >= hits[1].similarity)
  const filtered = JSON.parse(vgent(['search', 'vector database', '--filter', '{"path":"corpus/postgres.md"}', '--json'], { dataRoot }).out)
  t.true(filtered.length > 0 && filtered.every((h) => h.metadata.path === 'corpus/postgres.md'))
  const status = JSON.parse(vgent(['status', '--json'], { dataRoot }).out)
  t.is(status.selected, 'dgent')
  t.is(status.count, 30)
  t.is(status.dimension, 1024)
  t.deepEqual(status.tiers.map((x) => x.backend), ['memory', 'dgent', 'postgres', 'qdrant'])
})

test('import JSONL (last line per id wins), search by vector, export round-trips', (t) => {
  const dataRoot = freshRoot()
  const file = join(root, `in-${serial++}.jsonl`)
  writeFileSync(file, jsonl([
    { id: 'a', vector: [1, 0, 0], metadata: { tag: 'x' } },
    { id: 'b', vector: [0, 1, 0] },
    { id: 'a', vector: [0.5, 0.5, 0], metadata: { tag: 'y' } },
    { id: 'ü键', vector: [0, 0, 1], metadata: { n: 3, tags: ['p', 'q'] } },
  ]))
  const imp = vgent(['import', file], { dataRoot })
  t.is(imp.code, 0, imp.err)
  t.regex(imp.out, /imported 3 vectors \(dimension 3\)/)
  const hits = JSON.parse(vgent(['search', '--vector', '[0,0,1]', '-k', '1', '--json'], { dataRoot }).out)
  t.is(hits[0].id, 'ü键')
  const exported = vgent(['export'], { dataRoot }).out.trim().split('\n').map((l) => JSON.parse(l))
  const byId = Object.fromEntries(exported.map((e) => [e.id, e]))
  t.deepEqual(Object.keys(byId).sort(), ['a', 'b', 'ü键'])
  t.deepEqual(byId.a, { id: 'a', vector: [0.5, 0.5, 0], metadata: { tag: 'y' } })
  t.deepEqual(byId['ü键'].metadata, { n: 3, tags: ['p', 'q'] })
})

test('a malformed line, a wrong dimension or a missing file: the file and line are named, exit 1, nothing written', (t) => {
  const dataRoot = freshRoot()
  const good = join(root, `good-${serial++}.jsonl`)
  writeFileSync(good, jsonl([{ id: 'keep', vector: [1, 2] }]))
  t.is(vgent(['import', good], { dataRoot }).code, 0)
  const cases = [
    [`{"id":"x","vector":[1,2]}\n{"id":"y","vector":[3,4]}\n{"id":"z","vector":[1,`, /:3: not JSON/],
    [`{"id":"x","vector":[1,2]}\n{"id":"y","vector":[3,4,5]}\n`, /:2: vector has dimension 3, expected 2/],
    [`{"id":"x","vector":[1,"a"]}\n`, /:1: vector\[1\] is not a finite number/],
    [`{"id":"","vector":[1,2]}\n`, /:1: id must be a non-empty string/],
  ]
  for (const [content, message] of cases) {
    const bad = join(root, `bad-${serial++}.jsonl`)
    writeFileSync(bad, content)
    const r = vgent(['import', bad], { dataRoot })
    t.is(r.code, 1, r.err)
    t.true(r.err.includes(bad), r.err)
    t.regex(r.err, message)
  }
  const missing = vgent(['import', join(root, 'nope.jsonl')], { dataRoot })
  t.is(missing.code, 1)
  t.regex(missing.err, /cannot read .*nope\.jsonl/)
  const exported = vgent(['export'], { dataRoot }).out.trim().split('\n')
  t.is(exported.length, 1)
  t.is(JSON.parse(exported[0]).id, 'keep')
})

test('.npy (float32 and float64) and .fvecs import', (t) => {
  const dataRoot = freshRoot()
  const npy = (descr, arr, rows, cols) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'
    const pre = Buffer.alloc(10)
    pre.write('\x93NUMPY', 0, 'latin1')
    pre[6] = 1
    pre.writeUInt16LE(header.length, 8)
    return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(arr.buffer)])
  }
  const f32 = join(root, 'vecs32.npy')
  writeFileSync(f32, npy('<f4', new Float32Array([1, 0, 0, 0, 1, 0]), 2, 3))
  const f64 = join(root, 'vecs64.npy')
  writeFileSync(f64, npy('<f8', new Float64Array([0, 0, 1]), 1, 3))
  const fv = join(root, 'vecs.fvecs')
  const row = (v) => Buffer.concat([Buffer.from(new Int32Array([v.length]).buffer), Buffer.from(new Float32Array(v).buffer)])
  writeFileSync(fv, Buffer.concat([row([1, 1, 0]), row([0, 1, 1])]))
  for (const f of [f32, f64, fv]) t.is(vgent(['import', f], { dataRoot }).code, 0)
  const ids = vgent(['export'], { dataRoot }).out.trim().split('\n').map((l) => JSON.parse(l).id).sort()
  t.deepEqual(ids, ['vecs-0', 'vecs-1', 'vecs32-0', 'vecs32-1', 'vecs64-0'])
  writeFileSync(join(root, 'short.fvecs'), Buffer.concat([row([1, 1, 0]), row([0, 1, 1]).subarray(0, 9)]))
  const r = vgent(['import', join(root, 'short.fvecs')], { dataRoot })
  t.is(r.code, 1)
  t.regex(r.err, /short\.fvecs:row 2: truncated row/)
})

test('migrate reports verification; repair salvages a damaged store; compact shrinks it', (t) => {
  const dataRoot = freshRoot()
  const file = join(root, `m-${serial++}.jsonl`)
  writeFileSync(file, jsonl(Array.from({ length: 200 }, (_, i) => ({ id: `v${i}`, vector: [i + 1, 1, -i] }))))
  t.is(vgent(['import', file], { dataRoot }).code, 0)
  t.is(vgent(['import', file], { dataRoot }).code, 0) // the same again: more log, same entries
  const m = vgent(['migrate', '--to', 'memory', '--json'], { dataRoot })
  t.is(m.code, 0, m.err)
  const report = JSON.parse(m.out.trim().split('\n').pop())
  t.is(report.count, 200)
  t.is(report.from, 'dgent')
  t.regex(report.checksum, /^[0-9a-f]{64}$/)
  const c = vgent(['compact'], { dataRoot })
  t.is(c.code, 0, c.err)
  const [, before, after] = /: (\d+) → (\d+) bytes/.exec(c.out).map(Number)
  t.true(after < before)
  const log = join(dataRoot, 'vectors', 'default', 'data.log')
  const bytes = readFileSync(log)
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  writeFileSync(log, bytes)
  // The damaged store is skipped (loudly) and the status says why.
  const broken = vgent(['status', '--json'], { dataRoot })
  t.regex(broken.err, /warning: skipping the dgent tier: .*STORE_CORRUPT|fails its checksum/)
  const dgentStatus = JSON.parse(broken.out).tiers.find((x) => x.backend === 'dgent')
  t.false(dgentStatus.available)
  t.regex(dgentStatus.reason, /fails its checksum/)
  const r = vgent(['repair'], { dataRoot })
  t.is(r.code, 0, r.err)
  t.regex(r.out, /dropped 1 damaged regions/)
  t.true(JSON.parse(vgent(['status', '--json'], { dataRoot }).out).count < 200)
})

test('bad usage exits 2 with a message', (t) => {
  t.is(vgent(['frobnicate']).code, 2)
  t.regex(vgent(['migrate', '--to', 'mongo']).err, /must be one of/)
  t.is(vgent(['--no-such-flag']).code, 2)
  t.is(vgent(['search']).code, 2)
  t.is(vgent(['--help']).code, 0)
})

test('progress: a redrawn bar on a terminal, plain lines otherwise', (t) => {
  const dataRoot = freshRoot()
  const file = join(root, `p-${serial++}.jsonl`)
  writeFileSync(file, jsonl(Array.from({ length: 20000 }, (_, i) => ({ id: `p${i}`, vector: [i % 7, 1, (i % 5) + 1] }))))
  const plain = vgent(['import', file], { dataRoot })
  t.is(plain.code, 0)
  t.false(plain.err.includes('\r'))
  t.regex(plain.err, /import: 20000\/20000 \(100%\) \d+\/s ETA/)
  // A real pseudo-terminal: util-linux `script` runs the command on a pty and copies its output.
  const cmd = `KGENTS_DATA_ROOT='${freshRoot()}' '${process.execPath}' '${bin}' import '${file}'`
  const tty = execFileSync('script', ['-qfec', cmd, '/dev/null'], { cwd: repo, encoding: 'utf8' })
  t.regex(tty, /\r\[#+\.*\] import: \d+\/20000/)
  t.regex(tty, /\[#{24}\] import: 20000\/20000 \(100%\)/)
})

test('a store of another dimension is an error, never a silent fallback to a throwaway Memory store', (t) => {
  const dataRoot = freshRoot()
  t.is(vgent(['index', 'corpus/coffee.md'], { dataRoot }).code, 0) // 1024-dimensional hash vectors
  const count = () => JSON.parse(vgent(['status', '--json'], { dataRoot }).out).count
  const before = count()
  const idx = vgent(['index', 'corpus/baking.md', '--dimension', '64'], { dataRoot })
  t.is(idx.code, 1, idx.out)
  t.regex(idx.err, /BACKEND_UNAVAILABLE: .*holds dimension 1024.*opened with dimension 64/)
  t.notRegex(idx.out, /indexed/)
  const file = join(root, `d3-${serial++}.jsonl`)
  writeFileSync(file, jsonl([{ id: 'x', vector: [1, 2, 3] }]))
  const imp = vgent(['import', file, '--dimension', '3'], { dataRoot })
  t.is(imp.code, 1, imp.out)
  t.regex(imp.err, /holds dimension 1024/)
  const s = vgent(['search', 'coffee', '--dimension', '64', '--json'], { dataRoot })
  t.is(s.code, 1, s.out)
  t.is(s.out, '')
  t.is(count(), before)
  // Memory when asked for (in any case): a store that lasts one command.
  const mem = vgent(['import', file, '--backend', 'MEMORY'], { dataRoot })
  t.is(mem.code, 0, mem.err)
  t.regex(mem.out, /into memory/)
})

test('reading a namespace that holds no store is an error and creates nothing', (t) => {
  const dataRoot = freshRoot()
  for (const args of [['search', 'anything'], ['search', '--vector', '[1,2]'], ['export', '--dimension', '2'], ['migrate', '--to', 'memory', '--dimension', '2']]) {
    const r = vgent([...args, '--namespace', 'typo'], { dataRoot })
    t.is(r.code, 1, `${args.join(' ')}: ${r.err}`)
    t.regex(r.err, /no vector store in namespace typo/)
  }
  t.false(existsSync(join(dataRoot, 'vectors', 'typo')))
  t.is(vgent(['repair', '--namespace', 'typo'], { dataRoot }).code, 2)
  t.is(vgent(['compact', '--namespace', 'typo'], { dataRoot }).code, 2)
})

test('search options are checked; a named file is indexed whatever its extension', (t) => {
  const dataRoot = freshRoot()
  const notes = join(root, `notes-${serial++}.rst`)
  writeFileSync(notes, 'Espresso is brewed under pressure.\n\nBread needs flour and water.\n')
  const idx = vgent(['index', notes], { dataRoot })
  t.is(idx.code, 0, idx.err)
  t.regex(idx.out, /indexed 2 paragraphs from 1 files/)
  const bad = vgent(['search', 'bread', '--threshold', 'abc'], { dataRoot })
  t.is(bad.code, 2)
  t.regex(bad.err, /--threshold must be a number/)
  const hits = JSON.parse(vgent(['search', 'bread flour', '--threshold', '0.3', '--json'], { dataRoot }).out)
  t.deepEqual(hits.map((h) => h.metadata.paragraph), [2])
})

test('vectors a store would refuse are bad input named by file and line: a zero vector under cosine, a value beyond float32', (t) => {
  const dataRoot = freshRoot()
  const cases = [
    [`{"id":"a","vector":[1,2]}\n\n{"id":"z","vector":[0,0]}\n`, /:3: the vector is a zero vector/],
    [`{"id":"a","vector":[1,2]}\n{"id":"b","vector":[1e39,1]}\n`, /:2: the vector has a non-finite value \(inf\)/],
  ]
  for (const [content, message] of cases) {
    const file = join(root, `refused-${serial++}.jsonl`)
    writeFileSync(file, content)
    const r = vgent(['import', file], { dataRoot })
    t.is(r.code, 1, r.err)
    t.true(r.err.includes(file), r.err)
    t.regex(r.err, message)
  }
  t.false(existsSync(join(dataRoot, 'vectors', 'default')), 'nothing was created')
  // A zero vector is fine where the metric allows it; --metric names a new store's metric.
  const zero = join(root, `zero-${serial++}.jsonl`)
  writeFileSync(zero, cases[0][0])
  t.is(vgent(['import', zero, '--metric', 'euclidean'], { dataRoot }).code, 0)
  t.is(JSON.parse(vgent(['status', '--json'], { dataRoot }).out).metric, 'euclidean')
})

// A file-size limit (ulimit -f, SIGXFSZ ignored) stands in for a full disk: POSIX shells only.
const posixTest = process.platform === 'win32' ? test.skip : test
posixTest('an import that fails part-way through writing (the disk full) is undone: the store holds what it held before', (t) => {
  const dataRoot = freshRoot()
  const small = join(root, `small-${serial++}.jsonl`)
  writeFileSync(small, jsonl(Array.from({ length: 10 }, (_, i) => ({ id: `keep${i}`, vector: Array.from({ length: 64 }, (_, j) => i + j + 1) }))))
  t.is(vgent(['import', small], { dataRoot }).code, 0)
  // 20,000 rows are written in 4 batches of ~1.4 MB: under a 3,000 KiB file-size limit the third fails.
  const big = join(root, `big-${serial++}.jsonl`)
  writeFileSync(big, jsonl(Array.from({ length: 20000 }, (_, i) => ({ id: i < 5 ? `keep${i}` : `big${i}`, vector: Array.from({ length: 64 }, (_, j) => ((i * j) % 97) + 1) }))))
  const r = spawnSync('bash', ['-c', `ulimit -f 3000; trap '' XFSZ; exec '${process.execPath}' '${bin}' import '${big}'`], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, KGENTS_DATA_ROOT: dataRoot, KGENTS_VGENT_BACKEND: '', KGENTS_POSTGRES_URL: '', KGENTS_QDRANT_URL: '' },
  })
  t.is(r.status, 1, r.stderr)
  t.regex(r.stderr, /import: 10000\/20000/, 'two batches were written before the failure')
  t.regex(r.stderr, /IO_ERROR: .*(File too large|too large)/i)
  const exported = vgent(['export'], { dataRoot }).out.trim().split('\n').map((l) => JSON.parse(l))
  t.deepEqual(exported.map((e) => e.id).sort(), Array.from({ length: 10 }, (_, i) => `keep${i}`).sort())
  for (const e of exported) t.deepEqual(e.vector, Array.from({ length: 64 }, (_, j) => Number(e.id.slice(4)) + j + 1), `${e.id} restored`)
})
