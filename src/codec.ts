import { ErrorCode, VgentError } from './errors'
import { Embedding } from './embedding'
import type { VectorInput } from './types'

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** A vector as float32 little-endian bytes, 4 per value, the same on every platform. */
export function serializeVector(v: VectorInput): Buffer {
  const values = v instanceof Embedding ? v.vector : v
  if (values instanceof Float32Array && LITTLE_ENDIAN) {
    return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength))
  }
  const out = Buffer.alloc(values.length * 4)
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4)
  return out
}

/** The inverse of `serializeVector`: always a fresh, aligned Float32Array. */
export function deserializeVector(b: Uint8Array): Float32Array {
  if (!(b instanceof Uint8Array)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'deserializeVector expects a Uint8Array or Buffer')
  }
  if (b.byteLength % 4 !== 0) {
    throw new VgentError(ErrorCode.INVALID_VECTOR, `a float32 vector needs a multiple of 4 bytes, got ${b.byteLength}`)
  }
  const n = b.byteLength / 4
  if (LITTLE_ENDIAN) return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}
