/**
 * vgent: one vector-store protocol over a lattice of backends, with a Rust core doing the hot work.
 * This file is the curated public API; everything else is internal.
 */
export { DistanceMetric } from './types'
export type {
  BatchEntry,
  BulkBatch,
  Metadata,
  MetadataValue,
  SearchOptions,
  SearchResult,
  VectorEntry,
  VectorInput,
  VgentProtocol,
} from './types'
export { Embedding } from './embedding'
export { ErrorCode, VgentError } from './errors'
export type { Filter, FilterNode, FieldCondition, FilterScalar } from './filter'
export { compileFilter, matchesFilter } from './filter'
export { serializeVector, deserializeVector } from './codec'
export { nativeInfo } from './native'
export type { NativeInfo } from './native'
export { MemoryVectorBackend } from './backends/memory'
export type { MemoryBackendOptions } from './backends/memory'
export { DgentVectorBackend } from './backends/dgent'
export type { DgentBackendOptions } from './backends/dgent'
export type { Datum, DgentListOptions, DgentProtocol } from './dgent/types'
export { MemoryDgent } from './dgent/memory'
export { FileDgent } from './dgent/file'
export type { FileDgentOptions } from './dgent/file'
export { repairStore } from './dgent/repair'
export type { RepairReport } from './dgent/repair'
export type { ExportBatch, Exportable } from './types'
export { VectorBackend } from './router/backend'
export type { BackendStatus } from './router/backend'
export { VgentRouter, createVgent } from './router/router'
export type { AutoUpgradePolicy, MigrationReport, RouterLogger, VgentRouterOptions } from './router/router'
export type { Embedder, EmbedBatchOptions } from './embedders/embedder'
export { HashEmbedder } from './embedders/hash'
export type { HashEmbedderOptions } from './embedders/hash'
export { OpenAIEmbedder, OPENAI_EMBEDDING_MODELS } from './embedders/openai'
export type { OpenAIEmbedderOptions } from './embedders/openai'
export { LocalEmbedder } from './embedders/local'
export type { LocalEmbedderOptions } from './embedders/local'
export { CachedEmbedder, EmbeddingCache } from './embedders/cache'
export { addTexts, searchText, textId, SOURCE_KEY } from './embedders/texts'
export type { AddTextsOptions, TextItem } from './embedders/texts'
export { QDRANT_POINT_ID_NAMESPACE, QdrantVectorBackend, qdrantPointId } from './backends/qdrant'
export type { PayloadIndexType, QdrantBackendOptions, QdrantProbe } from './backends/qdrant'
export { PostgresVectorBackend } from './backends/postgres'
export type { PostgresBackendOptions, PostgresProbe, PostgresProbeOptions, HnswOptions, IndexPlan } from './backends/postgres'
export type {
  OpenAIClientLike,
  OpenAIEmbeddingRequestLike,
  PgPoolClientLike,
  PgPoolLike,
  PgQueryResultLike,
  QdrantClientLike,
  QdrantPointLike,
} from './peer-types'
