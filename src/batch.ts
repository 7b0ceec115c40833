/** Normalises both forms of `addBatch` into one row-major buffer, validating everything first. */
import { ErrorCode, VgentError } from './errors'
import type { BatchEntry, BulkBatch, Metadata } from './types'
import { checkId, checkMetadata, toFloat32 } from './validate'

export interface NormalizedBatch {
  ids: string[]
  /** `ids.length × dimension` floats, row-major. May be the caller's own buffer (never written to). */
  vectors: Float32Array
  /** One entry per id, or `undefined` when no entry has metadata. */
  metadata: Metadata[] | undefined
}

function isBulk(b: unknown): b is BulkBatch {
  return typeof b === 'object' && b !== null && !(Symbol.iterator in b) && 'ids' in b && 'vectors' in b
}

export function normalizeBatch(input: Iterable<BatchEntry> | BulkBatch, dimension: number): NormalizedBatch {
  if (isBulk(input)) return normalizeBulk(input, dimension)
  if (input == null || typeof (input as Iterable<BatchEntry>)[Symbol.iterator] !== 'function') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'addBatch expects an iterable of {id, vector, metadata?} or {ids, vectors: Float32Array, metadata?}')
  }
  const entries = Array.from(input as Iterable<BatchEntry>)
  const ids: string[] = new Array(entries.length)
  const vectors = new Float32Array(entries.length * dimension)
  let metadata: Metadata[] | undefined
  entries.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `entry ${i} must be an object {id, vector, metadata?}`)
    }
    ids[i] = checkId(e.id, `entry ${i}: id`)
    vectors.set(toFloat32(e.vector, dimension, `entry ${i} (id ${JSON.stringify(e.id)}): vector`), i * dimension)
    if (e.metadata !== undefined) {
      metadata ??= entries.map(() => ({}))
      metadata[i] = checkMetadata(e.metadata, `entry ${i}: metadata`)
    }
  })
  return { ids, vectors, metadata }
}

function normalizeBulk(b: BulkBatch, dimension: number): NormalizedBatch {
  if (!Array.isArray(b.ids)) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'bulk addBatch: ids must be an array of strings')
  if (!(b.vectors instanceof Float32Array)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'bulk addBatch: vectors must be a Float32Array of ids.length × dimension floats')
  }
  if (b.vectors.length !== b.ids.length * dimension) {
    throw new VgentError(
      ErrorCode.DIMENSION_MISMATCH,
      `bulk addBatch: ${b.vectors.length} floats for ${b.ids.length} ids; expected ${b.ids.length} × ${dimension}`,
    )
  }
  b.ids.forEach((id, i) => checkId(id, `entry ${i}: id`))
  let metadata: Metadata[] | undefined
  if (b.metadata !== undefined) {
    if (!Array.isArray(b.metadata) || b.metadata.length !== b.ids.length) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'bulk addBatch: metadata must be an array with one entry per id')
    }
    metadata = b.metadata.map((m, i) => checkMetadata(m, `entry ${i}: metadata`))
  }
  return { ids: [...b.ids], vectors: b.vectors, metadata }
}
