// Type-checked with tsc --strict --noEmit against the installed package (never run); also copied to
// types.mts, so that it is checked as an ES module under node16/nodenext too.
import { createVgent, nativeInfo, MemoryVectorBackend, VgentError, ErrorCode, DistanceMetric } from 'vgent'
import type { NativeInfo, SearchResult, VgentProtocol, Metadata } from 'vgent'
import type { OpenAIClientLike, OpenAIEmbedderOptions, PgPoolLike, PostgresBackendOptions, QdrantBackendOptions, QdrantClientLike } from 'vgent'

export async function main(): Promise<number> {
  const info: NativeInfo = nativeInfo()
  const isa: string = info.isa
  const store: VgentProtocol = new MemoryVectorBackend({ dimension: 3, metric: DistanceMetric.COSINE })
  const metadata: Metadata = { lang: 'en', tags: ['intro'], year: 2024 }
  await store.add('a', [1, 0, 0], metadata)
  await store.addBatch({ ids: ['b'], vectors: new Float32Array([0, 1, 0]) })
  const hits: SearchResult[] = await store.search(new Float32Array([1, 0, 0]), { limit: 2, filter: { year: { $gte: 2020 } } })
  const routed = await createVgent({ dimension: 3, namespace: 'types' })
  try {
    await routed.add('x', [1, 2])
  } catch (e) {
    if (e instanceof VgentError && e.code === ErrorCode.DIMENSION_MISMATCH) return hits.length + isa.length
  }
  // @ts-expect-error a metric that does not exist must not type-check
  new MemoryVectorBackend({ dimension: 3, metric: 'cosinus' })
  return 0
}

// Options that take a user's client are typed structurally: they type-check with pg, @qdrant/js-client-rest
// and openai absent (the libcheck step compiles this file without them).
export function clients(pool: PgPoolLike, qdrant: QdrantClientLike, openai: OpenAIClientLike): [PostgresBackendOptions, QdrantBackendOptions, OpenAIEmbedderOptions] {
  return [{ dimension: 3, pool }, { dimension: 3, client: qdrant }, { client: openai }]
}
