// HashEmbedder: the specified algorithm, pinned by known answers computed by an independent Python
// implementation (test/embedders/hash_reference.py), plus its contract as an Embedder.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Embedding, HashEmbedder, VgentError } from 'vgent'
import { unavailable } from './embedders/skip.mjs'

const reference = fileURLToPath(new URL('./embedders/hash_reference.py', import.meta.url))
const bitsOf = (e) => [...new Uint32Array(e.vector.buffer, e.vector.byteOffset, e.vector.length)]
const norm = (e) => Math.sqrt(e.vector.reduce((s, x) => s + x * x, 0))

// Float32 bit patterns of the non-zero components, from hash_reference.py (not from the TS code).
const KNOWN = [
  { text: 'The quick brown fox', dimension: 8, bits: { 0: 0xbf000000, 1: 0xbf000000, 2: 0xbf000000, 4: 0x3f000000 } },
  { text: '', dimension: 64, bits: { 11: 0x3f800000 } },
  { text: 'Hello, hello WORLD!', dimension: 16, bits: { 9: 0x3ee4f92e, 14: 0xbf64f92e } },
  { text: 'naïve café 日本', dimension: 8, bits: { 2: 0xbf64f92e, 7: 0xbee4f92e } },
  { text: '!!!', dimension: 64, bits: { 24: 0x3f800000 } },
  { text: 'vector databases store embeddings', dimension: 64, bits: { 14: 0xbf000000, 20: 0x3f000000, 23: 0xbf000000, 36: 0xbf000000 } },
  { text: 'The cat sat on the mat; the CAT sat.', dimension: 32, bits: { 6: 0xbeeaebf5, 16: 0x3e6aebf5, 24: 0xbf3030f8, 28: 0xbeeaebf5, 29: 0xbe6aebf5 } },
  // "ac" and "aa" hash to opposite signs in the one bucket: they cancel, and the whole-text fallback applies.
  { text: 'ac aa', dimension: 1, bits: { 0: 0x3f800000 } },
]

for (const { text, dimension, bits } of KNOWN) {
  test(`[hash] known answer: ${JSON.stringify(text)} in ${dimension} buckets`, async (t) => {
    const e = await new HashEmbedder({ dimension }).embed(text)
    const expected = Array.from({ length: dimension }, (_, i) => bits[i] ?? 0)
    t.deepEqual(bitsOf(e), expected)
  })
}

function randomText(rng) {
  const pieces = ['alpha', 'Beta', 'GAMMA', 'δέλτα', '日本語', 'emoji🙂', 'x', '42', 'a-b', ' ', ', ', '!!', '\n', 'ÀÉÎ', 'mixedCase9', '']
  const n = Math.floor(rng() * 12)
  let s = ''
  for (let i = 0; i < n; i++) s += pieces[Math.floor(rng() * pieces.length)] + (rng() < 0.6 ? ' ' : '')
  return s
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const python = spawnSync('python3', ['--version'])
if (python.status === 0) {
  test('[hash] bit-identical to the independent Python implementation on 300 random texts and widths', async (t) => {
    const rng = mulberry32(20240611)
    const cases = Array.from({ length: 300 }, () => ({ text: randomText(rng), dimension: [1, 2, 3, 7, 64, 100, 256, 1000][Math.floor(rng() * 8)] }))
    const run = spawnSync('python3', [reference], { input: cases.map((c) => JSON.stringify(c)).join('\n'), encoding: 'utf8' })
    t.is(run.status, 0, run.stderr)
    const expected = run.stdout.trim().split('\n').map((l) => JSON.parse(l))
    t.is(expected.length, cases.length)
    for (let i = 0; i < cases.length; i++) {
      const e = await new HashEmbedder({ dimension: cases[i].dimension }).embed(cases[i].text)
      t.deepEqual(bitsOf(e), expected[i], `case ${i}: ${JSON.stringify(cases[i])}`)
    }
  })
} else {
  unavailable(test, '[hash] bit-identical to the independent Python implementation', 'python3 is not installed')
}

test('[hash] defaults: 64 dimensions, source local/hash, unit length, Embedding instances', async (t) => {
  const h = new HashEmbedder()
  t.is(h.dimension, 64)
  t.is(h.source, 'local/hash')
  const e = await h.embed('hello world')
  t.true(e instanceof Embedding)
  t.is(e.source, 'local/hash')
  t.is(e.dimension, 64)
  t.true(Math.abs(norm(e) - 1) < 1e-6)
})

test('[hash] never a zero vector: empty, punctuation-only and whitespace texts are unit vectors cosine can compare', async (t) => {
  const h = new HashEmbedder({ dimension: 16 })
  for (const text of ['', ' ', '...', '\n\t', '-_-']) {
    const e = await h.embed(text)
    t.true(Math.abs(norm(e) - 1) < 1e-6, JSON.stringify(text))
    t.notThrows(() => e.similarity(e))
  }
})

test('[hash] lexical, not semantic: shared words score higher; case and punctuation do not matter', async (t) => {
  const h = new HashEmbedder({ dimension: 256 })
  const [a, b, c, d] = await h.embedBatch(['the red car is fast', 'a fast red car', 'quiet blue ocean waves', 'THE RED CAR, IS FAST!'])
  t.true(a.similarity(b) > a.similarity(c))
  t.is(a.similarity(d), 1)
})

test('[hash] embedBatch equals embed one by one, in order, and reports progress', async (t) => {
  const h = new HashEmbedder({ dimension: 32 })
  const texts = ['one', 'two words', '', 'три слова здесь', 'one']
  const progress = []
  const batch = await h.embedBatch(texts, { onProgress: (done, total) => progress.push([done, total]) })
  const single = await Promise.all(texts.map((x) => h.embed(x)))
  t.deepEqual(batch.map(bitsOf), single.map(bitsOf))
  t.deepEqual(progress.at(-1), [5, 5])
  t.deepEqual(await h.embedBatch([]), [])
})

test('[hash] bad arguments are VgentErrors with stable codes', async (t) => {
  for (const dimension of [0, -1, 1.5, 70000, '64', NaN]) {
    t.throws(() => new HashEmbedder({ dimension }), { instanceOf: VgentError, code: 'INVALID_ARGUMENT' })
  }
  t.throws(() => new HashEmbedder('64'), { code: 'INVALID_ARGUMENT' })
  const h = new HashEmbedder()
  await t.throwsAsync(h.embed(42), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(h.embed('\ud800 lone surrogate'), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(h.embedBatch('not an array'), { code: 'INVALID_ARGUMENT' })
  await t.throwsAsync(h.embedBatch(['ok', null]), { code: 'INVALID_ARGUMENT', message: /texts\[1\]/ })
  await t.throwsAsync(h.embedBatch(['ok'], { onProgress: 'yes' }), { code: 'INVALID_ARGUMENT' })
})
