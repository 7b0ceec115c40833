// The README's "main job": build a store on the embedded default tier (no server, no API key),
// add vectors with metadata, and search it with and without a filter.
'use strict'
const { MemoryVectorBackend, nativeInfo } = require('vgent')

async function main() {
  const dimension = 384
  const n = Number(process.env.VGENT_EXAMPLE_N ?? 100_000)
  const store = new MemoryVectorBackend({ dimension, metric: 'cosine' })

  // Seeded data: n random vectors in one Float32Array, a category on each.
  let seed = 42
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1
  const vectors = new Float32Array(n * dimension).map(rand)
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`)
  const metadata = ids.map((_, i) => ({ category: ['news', 'blog', 'paper'][i % 3], rank: i }))

  let t = process.hrtime.bigint()
  await store.addBatch({ ids, vectors, metadata })
  const addMs = Number(process.hrtime.bigint() - t) / 1e6

  const query = vectors.slice(7 * dimension, 8 * dimension) // doc-7's own vector
  t = process.hrtime.bigint()
  const hits = await store.search(query, { limit: 5 })
  const searchMs = Number(process.hrtime.bigint() - t) / 1e6
  const papers = await store.search(query, { limit: 3, filter: { category: 'paper', rank: { $lt: 1000 } } })

  console.log(`vgent ${nativeInfo().version} (native kernels: ${nativeInfo().isa})`)
  console.log(`added ${await store.count()} x ${dimension} vectors in ${addMs.toFixed(1)} ms`)
  console.log(`top 5 for doc-7's vector (${searchMs.toFixed(2)} ms):`)
  for (const h of hits) console.log(`  ${h.id.padEnd(10)} similarity ${h.similarity.toFixed(4)}  ${JSON.stringify(h.metadata)}`)
  console.log('top 3 papers with rank < 1000:')
  for (const h of papers) console.log(`  ${h.id.padEnd(10)} similarity ${h.similarity.toFixed(4)}  ${JSON.stringify(h.metadata)}`)
  if (hits[0]?.id !== 'doc-7') throw new Error('the nearest neighbour of doc-7 should be doc-7 itself')
  await store.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
