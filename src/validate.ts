/** Argument checks shared by every tier, so that a bad call fails the same way everywhere. */
import { ErrorCode, VgentError } from './errors'
import { Embedding } from './embedding'
import type { Metadata, SearchOptions } from './types'
import { compileFilter, type FilterNode } from './filter'

export const MAX_ID_BYTES = 1024
export const DEFAULT_LIMIT = 10
/** Native limits are u32; nobody needs more results than this in one call. */
const MAX_LIMIT = 2 ** 32 - 1

export function checkId(id: unknown, where = 'id', maxBytes = MAX_ID_BYTES): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new VgentError(ErrorCode.INVALID_ID, `${where} must be a non-empty string, got ${typeof id === 'string' ? 'an empty string' : typeof id}`)
  }
  if (!id.isWellFormed()) {
    throw new VgentError(ErrorCode.INVALID_ID, `${where} contains a lone UTF-16 surrogate and cannot be stored as UTF-8`)
  }
  const bytes = Buffer.byteLength(id, 'utf8')
  if (bytes > maxBytes) {
    throw new VgentError(ErrorCode.INVALID_ID, `${where} is ${bytes} bytes; the limit is ${maxBytes} bytes (UTF-8)`)
  }
  return id
}

export function checkDimension(dimension: unknown): number {
  if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1 || dimension > 65536) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `dimension must be an integer in 1..65536, got ${String(dimension)}`)
  }
  return dimension
}

/**
 * A vector as a Float32Array of the store's dimension. Float32Arrays pass through without a copy
 * (the store copies what it keeps); finiteness is checked by the native core, not by a JS loop.
 */
export function toFloat32(v: unknown, dimension: number, where = 'vector'): Float32Array {
  let out: Float32Array
  if (v instanceof Embedding) out = v.vector
  else if (v instanceof Float32Array) out = v
  else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    if (!Array.isArray(v) && (v instanceof DataView || typeof (v as { length?: unknown }).length !== 'number')) {
      throw new VgentError(ErrorCode.INVALID_VECTOR, `${where} must be an Embedding, Float32Array or number[]`)
    }
    const arr = v as ArrayLike<unknown>
    for (let i = 0; i < arr.length; i++) {
      if (typeof arr[i] !== 'number') {
        throw new VgentError(ErrorCode.INVALID_VECTOR, `${where}[${i}] is ${typeof arr[i]}, not a number`)
      }
    }
    out = Float32Array.from(arr as ArrayLike<number>)
  } else {
    throw new VgentError(ErrorCode.INVALID_VECTOR, `${where} must be an Embedding, Float32Array or number[], got ${v === null ? 'null' : typeof v}`)
  }
  if (out.length !== dimension) {
    throw new VgentError(ErrorCode.DIMENSION_MISMATCH, `${where} has dimension ${out.length}, the store holds dimension ${dimension}`)
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Checks metadata and returns a private deep copy (the caller may mutate theirs later). */
export function checkMetadata(md: unknown, where = 'metadata'): Metadata {
  if (md === undefined || md === null) return {}
  if (!isPlainObject(md)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where} must be a plain object of string, number, boolean or string[] values`)
  }
  const out: Metadata = {}
  // defineProperty, not assignment: a key named "__proto__" must stay an ordinary own key.
  const set = (key: string, value: Metadata[string]) =>
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  for (const [key, value] of Object.entries(md)) {
    const bad = (what: string) =>
      new VgentError(ErrorCode.INVALID_ARGUMENT, `${where}.${key} is ${what}: expected a string, finite number, boolean or string[]`)
    if (typeof value === 'string' || typeof value === 'boolean') set(key, value)
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw bad(String(value))
      set(key, value)
    } else if (Array.isArray(value)) {
      if (!value.every((x) => typeof x === 'string')) throw bad('an array with a non-string element')
      set(key, [...value])
    } else throw bad(value === null ? 'null' : typeof value)
  }
  return out
}

export interface CheckedSearch {
  limit: number
  threshold: number | undefined
  filter: FilterNode | undefined
}

export function checkSearchOptions(options: SearchOptions | undefined): CheckedSearch {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'search options must be an object')
  }
  const limit = options?.limit ?? DEFAULT_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `limit must be a positive integer, got ${JSON.stringify(limit) ?? String(limit)}`)
  }
  const threshold = options?.threshold
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold))) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `threshold must be a finite number, got ${String(threshold)}`)
  }
  return { limit: Math.min(limit, MAX_LIMIT), threshold, filter: compileFilter(options?.filter) }
}

