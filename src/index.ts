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
export { PostgresVectorBackend } from './backends/postgres'
export type { PostgresBackendOptions, PostgresProbe, PostgresProbeOptions, HnswOptions, IndexPlan } from './backends/postgres'
