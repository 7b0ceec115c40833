import type { Embedding } from './embedding'
import type { Filter } from './filter'

export const DistanceMetric = {
  COSINE: 'cosine',
  EUCLIDEAN: 'euclidean',
  DOT_PRODUCT: 'dot_product',
  MANHATTAN: 'manhattan',
} as const
export type DistanceMetric = (typeof DistanceMetric)[keyof typeof DistanceMetric]

export type VectorInput = Embedding | Float32Array | number[]
export type MetadataValue = string | number | boolean | string[]
export type Metadata = Record<string, MetadataValue>

export interface VectorEntry {
  id: string
  embedding: Embedding
  metadata: Metadata
}

export interface SearchResult {
  id: string
  /** Higher is better; see the README for each metric's definition. */
  similarity: number
  /** The metric's own distance (lower is closer). */
  distance: number
  metadata: Metadata
}

export interface SearchOptions {
  /** Most results to return; a positive integer, default 10. */
  limit?: number
  filter?: Filter
  /** Keep only results with `similarity >= threshold`. */
  threshold?: number
}

export interface BatchEntry {
  id: string
  vector: VectorInput
  metadata?: Metadata
}

/** The bulk form of `addBatch`: one row-major buffer, no JS object per vector. */
export interface BulkBatch {
  ids: string[]
  /** `ids.length × dimension` floats, row-major. */
  vectors: Float32Array
  metadata?: (Metadata | undefined)[]
}

/** The one protocol every tier implements. */
export interface VgentProtocol {
  readonly dimension: number
  readonly metric: DistanceMetric
  /** Inserts or replaces (upsert); resolves to the id. */
  add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string>
  /** Atomic: one bad entry rejects the batch and stores nothing. Duplicate ids: the last wins. */
  addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]>
  remove(id: string): Promise<boolean>
  /** Removes everything; resolves to how many entries there were. */
  clear(): Promise<number>
  get(id: string): Promise<VectorEntry | null>
  search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]>
  searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]>
  count(): Promise<number>
  exists(id: string): Promise<boolean>
  close(): Promise<void>
}

/** A run of entries copied out of a store: `ids.length` rows of `vectors`, row-major. */
export interface ExportBatch {
  ids: string[]
  vectors: Float32Array
  metadata: Metadata[]
}

/** Stores that can stream out everything they hold (for export and promotion between tiers). */
export interface Exportable {
  /** Every entry once, in batches; entries written or removed meanwhile may or may not be included. */
  exportEntries(options?: { batchSize?: number }): AsyncIterable<ExportBatch>
}

export function isExportable(store: unknown): store is Exportable {
  return typeof (store as Partial<Exportable> | null)?.exportEntries === 'function'
}
