#!/usr/bin/env node
/**
 * Embedder throughput: texts per second for HashEmbedder and LocalEmbedder (all-MiniLM-L6-v2 int8,
 * from scripts/fetch-local-model.sh), one text per call vs embedBatch, and CachedEmbedder hits.
 *
 * Run:   node benchmark/embedders.js
 * Env:   TEXTS [512] distinct sentences, SINGLE [128] texts embedded one per call (local),
 *        BATCH_SIZES [8,32,128] LocalEmbedder batchSize values, SEED [7].
 * Method: the same synthetic sentences (8–40 words from a ~200-word English vocabulary) for every contender;
 *   one untimed warm-up pass each; median of 3 timed passes. Batch vectors are checked against the
 *   one-by-one vectors before timing, so a fast but wrong path cannot win.
 */
'use strict'

const { execFileSync } = require('node:child_process')
const path = require('node:path')
const os = require('node:os')

let vgent
try {
  vgent = require('vgent')
} catch {
  vgent = require('../dist/index.js')
}
const { HashEmbedder, LocalEmbedder, CachedEmbedder } = vgent

const TEXTS = Number(process.env.TEXTS ?? 256)
const SINGLE = Number(process.env.SINGLE ?? 128)
const BATCH_SIZES = (process.env.BATCH_SIZES ?? '8,32,128').split(',').map(Number)
let seed = Number(process.env.SEED ?? 7)

function rand() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x80000000
}
// Common English words, so that the tokenizer sees about one wordpiece per word, as in real text.
const vocab = (
  'the of and to in is was for on that with as by at from his her an are were be this which or had not but they ' +
  'have one all their there been has when who more will would no if out so said what up its about into than them ' +
  'can only other new some could time these two may then do first any my now such like our over man me even most ' +
  'made after also did many before must through back years where much your way well down should because each just ' +
  'those people how too little state good very make world still own see men work long get here between both life ' +
  'being under never day same another know while last might us great old year off come since against go came right ' +
  'used take three city water house small large store search vector model query answer text word number system'
).split(' ')
const texts = Array.from({ length: TEXTS }, () => {
  const n = 8 + Math.floor(rand() * 33)
  return Array.from({ length: n }, () => vocab[Math.floor(rand() * vocab.length)]).join(' ')
})

async function timed(fn, reps = 3) {
  await fn() // warm-up
  const ms = []
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return ms.sort((a, b) => a - b)[Math.floor(reps / 2)]
}

function maxDiff(a, b) {
  let d = 0
  for (let i = 0; i < a.length; i++) for (let k = 0; k < a[i].vector.length; k++) d = Math.max(d, Math.abs(a[i].vector[k] - b[i].vector[k]))
  return d
}

async function main() {
  const rows = []
  const row = (name, count, ms) => rows.push({ name, count, ms, perSec: (count / ms) * 1000 })

  const hash = new HashEmbedder({ dimension: 384 })
  row('HashEmbedder(384) embed x1', TEXTS, await timed(async () => { for (const t of texts) await hash.embed(t) }))
  row('HashEmbedder(384) embedBatch', TEXTS, await timed(() => hash.embedBatch(texts)))

  const modelPath = execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'fetch-local-model.sh')], { encoding: 'utf8' }).trim().split('\n').at(-1)
  const local = await LocalEmbedder.load({ modelPath, offline: true })
  const single = texts.slice(0, SINGLE)
  const oneByOne = []
  for (const t of single) oneByOne.push(await local.embed(t))
  row('LocalEmbedder embed x1', SINGLE, await timed(async () => { for (const t of single) await local.embed(t) }))
  for (const batchSize of BATCH_SIZES) {
    const b = await LocalEmbedder.load({ modelPath, offline: true, batchSize })
    const d = maxDiff(await b.embedBatch(single), oneByOne)
    if (d > 1e-5) throw new Error(`batchSize ${batchSize}: batch differs from one-by-one by ${d}`)
    row(`LocalEmbedder embedBatch (batchSize ${batchSize})`, TEXTS, await timed(() => b.embedBatch(texts)))
    await b.dispose()
  }
  const cached = new CachedEmbedder(local, { maxEntries: TEXTS })
  await cached.embedBatch(texts)
  row('CachedEmbedder(Local) embedBatch, all hits', TEXTS, await timed(() => cached.embedBatch(texts)))
  await local.dispose()

  console.log(`node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, load average ${os.loadavg()[0].toFixed(2)}, ${TEXTS} texts of 8-40 words`)
  console.log('| contender | texts | median ms | texts/s |')
  console.log('|---|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${r.count} | ${r.ms.toFixed(1)} | ${Math.round(r.perSec).toLocaleString('en-US')} |`)
  const base = rows.find((r) => r.name === 'LocalEmbedder embed x1').perSec
  const best = Math.max(...rows.filter((r) => r.name.startsWith('LocalEmbedder embedBatch')).map((r) => r.perSec))
  console.log(`\nLocalEmbedder: best embedBatch / one-per-call = ${(best / base).toFixed(2)}x`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
