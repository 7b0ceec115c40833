/** The one interface every embedder implements: text in, `Embedding` (vector + source) out. */
import { ErrorCode, VgentError } from '../errors'
import type { Embedding } from '../embedding'

export interface EmbedBatchOptions {
  /** Called after each chunk of work with how many texts are embedded so far and the total. */
  onProgress?: (done: number, total: number) => void
}

export interface Embedder {
  /** Length of every vector this embedder produces. */
  readonly dimension: number
  /** Stable name of the model (e.g. `openai/text-embedding-3-small`); stamped on every `Embedding`. */
  readonly source: string
  embed(text: string): Promise<Embedding>
  /** Same vectors as `embed` one by one, in input order; batched for speed. */
  embedBatch(texts: string[], opts?: EmbedBatchOptions): Promise<Embedding[]>
}

export function checkText(text: unknown, where = 'text'): string {
  if (typeof text !== 'string') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where} must be a string, got ${text === null ? 'null' : typeof text}`)
  }
  if (!text.isWellFormed()) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where} contains a lone UTF-16 surrogate and cannot be encoded as UTF-8`)
  }
  return text
}

export function checkTexts(texts: unknown): string[] {
  if (!Array.isArray(texts)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `embedBatch needs an array of strings, got ${texts === null ? 'null' : typeof texts}`)
  }
  return texts.map((t, i) => checkText(t, `texts[${i}]`))
}

export function checkBatchOptions(opts: unknown): EmbedBatchOptions {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'embedBatch options must be an object')
  }
  const { onProgress } = opts as EmbedBatchOptions
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'onProgress must be a function')
  }
  return { onProgress }
}

export function checkOptionsObject(opts: unknown, what: string): Record<string, unknown> {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${what} options must be an object`)
  }
  return opts as Record<string, unknown>
}

/** A positive integer option, or its default. */
export function positiveInt(value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${name} must be an integer in 1..${max}, got ${String(value)}`)
  }
  return value
}

/** A non-negative finite number option, or its default. */
export function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${name} must be a finite number >= 0, got ${String(value)}`)
  }
  return value
}

/** L2-normalizes in place (float64 accumulation); leaves a zero vector as it is. */
export function normalizeInPlace(v: Float64Array): Float64Array {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i]
  if (sum === 0) return v
  const norm = Math.sqrt(sum)
  for (let i = 0; i < v.length; i++) v[i] /= norm
  return v
}
