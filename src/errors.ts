/** Stable error codes: part of the public contract, identical on every tier. */
export const ErrorCode = {
  DIMENSION_MISMATCH: 'DIMENSION_MISMATCH',
  INVALID_VECTOR: 'INVALID_VECTOR',
  INVALID_ID: 'INVALID_ID',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_FILTER: 'INVALID_FILTER',
  CLOSED: 'CLOSED',
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  ABORTED: 'ABORTED',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_LOCKED: 'STORE_LOCKED',
  STORE_MISMATCH: 'STORE_MISMATCH',
  IO_ERROR: 'IO_ERROR',
  /** A server refused the credentials (e.g. an embeddings API key). */
  AUTH_FAILED: 'AUTH_FAILED',
  /** Vectors from one embedder (its `source`) used against a store built with another. */
  EMBEDDER_MISMATCH: 'EMBEDDER_MISMATCH',
  INTERNAL: 'INTERNAL',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Every error vgent throws on purpose. `code` is stable; `message` says what to fix. */
export class VgentError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'VgentError'
    this.code = code
  }
}

const NATIVE_MESSAGE = /^([A-Z_]+): ([\s\S]*)$/

/** Turns an error thrown by the native binding (`CODE: message`) into a `VgentError`. */
export function fromNative(e: unknown): VgentError {
  if (e instanceof VgentError) return e
  const message = e instanceof Error ? e.message : String(e)
  const m = NATIVE_MESSAGE.exec(message)
  if (m && m[1] in ErrorCode) return new VgentError(m[1] as ErrorCode, m[2], { cause: e })
  return new VgentError(ErrorCode.INTERNAL, `native core failed: ${message}`, { cause: e })
}

/** Runs a native call, converting whatever it throws. */
export function callNative<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw fromNative(e)
  }
}
