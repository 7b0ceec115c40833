/**
 * Encoding of the log, byte for byte the same as `crates/vgent-core/src/log/format.rs` (described in
 * `crates/vgent-core/src/log/FORMAT.md`): a 16-byte header, then records framed as
 * `length u32 · crc u32 · payload`, the CRC-32C taken over the 4 length bytes and the payload.
 * Everything is little-endian.
 */
import { crc32c, crc32cAppend } from './crc32c'

export const MAGIC = Buffer.from('VGNTLOG\0', 'latin1')
export const VERSION = 1
export const HEADER_LEN = 16
/** Frame bytes before the payload: length and checksum. */
export const FRAME_LEN = 8
/** One record may not exceed 1 GiB: a bigger length is a corrupt frame, not a huge allocation. */
export const MAX_RECORD = 2 ** 30

const OP_PUT = 1
const OP_DELETE = 2
const OP_INFO = 3
/** Many vector puts with their rows side by side (written by the native core; read here, never written). */
const OP_ROWS = 4

export const StoreKind = { Datum: 1, Vector: 2 } as const
export type StoreKind = (typeof StoreKind)[keyof typeof StoreKind]
/** The names Rust prints for a kind (its `Debug` form), used in the same messages. */
export const kindName = (k: StoreKind): string => (k === StoreKind.Datum ? 'Datum' : 'Vector')

export type Op = { op: 'put'; key: string; value: Uint8Array } | { op: 'delete'; key: string } | { op: 'info'; value: Uint8Array }

/** An error the way the native binding throws it (`CODE: message`); `fromNative` turns it into a `VgentError`. */
export function storeError(code: string, message: string): Error {
  return new Error(`${code}: ${message}`)
}

export function header(kind: StoreKind): Buffer {
  const h = Buffer.alloc(HEADER_LEN)
  MAGIC.copy(h, 0)
  h.writeUInt32LE(VERSION, 8)
  h.writeUInt32LE(kind, 12)
  return h
}

export function parseHeader(bytes: Uint8Array, file: string): StoreKind {
  const corrupt = (why: string) => storeError('STORE_CORRUPT', `${file}: ${why}`)
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (b.length < HEADER_LEN || !b.subarray(0, 8).equals(MAGIC)) throw corrupt('not a vgent log (bad magic)')
  const version = b.readUInt32LE(8)
  if (version !== VERSION) throw corrupt(`log format version ${version} is not supported (this build reads ${VERSION})`)
  const kind = b.readUInt32LE(12)
  if (kind === 1 || kind === 2) return kind
  throw corrupt(`unknown store kind ${kind}`)
}

/** Encodes `ops` as one framed record (or, with `chunk`, one record per `chunk` ops), back to back. */
export function encodeRecords(ops: readonly Op[], chunk = Infinity): Buffer {
  const keys = ops.map((o) => (o.op === 'info' ? null : Buffer.from(o.key, 'utf8')))
  let size = 0
  ops.forEach((o, i) => {
    if (i % chunk === 0) size += FRAME_LEN
    size += 1 + (keys[i] ? 4 + keys[i]!.length : 0) + (o.op === 'delete' ? 0 : 4 + o.value.length)
  })
  const out = Buffer.allocUnsafe(size)
  let at = 0
  let start = 0
  const bytes = (b: Uint8Array) => {
    out.writeUInt32LE(b.length, at)
    out.set(b, at + 4)
    at += 4 + b.length
  }
  const seal = () => {
    out.writeUInt32LE(at - start - FRAME_LEN, start)
    out.writeUInt32LE(checksum(out, start, at), start + 4)
  }
  ops.forEach((o, i) => {
    if (i % chunk === 0) {
      if (i > 0) seal()
      start = at
      at += FRAME_LEN
    }
    out[at++] = o.op === 'put' ? OP_PUT : o.op === 'delete' ? OP_DELETE : OP_INFO
    if (o.op !== 'info') bytes(keys[i]!)
    if (o.op !== 'delete') bytes(o.value)
  })
  if (ops.length > 0) seal()
  else if (chunk === Infinity) {
    // An empty batch is still one (empty) record, as in Rust.
    const empty = Buffer.alloc(FRAME_LEN)
    empty.writeUInt32LE(checksum(empty, 0, FRAME_LEN), 4)
    return empty
  }
  return out
}

/** The checksum of the frame at `start` whose payload ends at `end`: CRC-32C of the length bytes, then the payload. */
export function checksum(b: Uint8Array, start: number, end: number): number {
  return crc32cAppend(crc32c(b, start, start + 4), b, start + FRAME_LEN, end)
}

/** What the frame at `at` is. */
export type Frame = { kind: 'ok'; total: number } | { kind: 'truncated' } | { kind: 'bad' }

export function readFrame(b: Buffer, at: number, end = b.length): Frame {
  if (end - at < FRAME_LEN) return { kind: 'truncated' }
  const len = b.readUInt32LE(at)
  if (len > MAX_RECORD) return { kind: 'bad' }
  if (end - at < FRAME_LEN + len) return { kind: 'truncated' }
  if (checksum(b, at, at + FRAME_LEN + len) !== b.readUInt32LE(at + 4)) return { kind: 'bad' }
  return { kind: 'ok', total: FRAME_LEN + len }
}

/**
 * A decoded op. A rows op comes out as one `put` per row whose `value` is the row alone and whose
 * `rowMetadata` is its metadata JSON (possibly empty); a plain put's value is the row then the JSON.
 */
export type OpRef =
  | { op: 'put'; key: string; value: Buffer; rowMetadata?: Buffer }
  | { op: 'delete'; key: string }
  | { op: 'info'; value: Buffer }

/** Decodes the ops of a verified payload `b[start, end)`; values are views into `b`. */
export function decodeOps(b: Buffer, start: number, end: number): OpRef[] {
  const ops: OpRef[] = []
  const r = new Reader(b, start, end)
  while (r.at < end) {
    const tag = r.byte()
    if (tag === OP_PUT) ops.push({ op: 'put', key: r.str(), value: r.bytes() })
    else if (tag === OP_DELETE) ops.push({ op: 'delete', key: r.str() })
    else if (tag === OP_INFO) ops.push({ op: 'info', value: r.bytes() })
    else if (tag === OP_ROWS) decodeRows(r, ops)
    else throw storeError('STORE_CORRUPT', `unknown op tag ${tag}`)
  }
  return ops
}

/** `rows · count u32 · dim u32 · pad u8 · pad zeros · count rows of dim float32 · count × (key · metadata)`. */
function decodeRows(r: Reader, ops: OpRef[]): void {
  const count = r.u32()
  const dim = r.u32()
  r.skip(r.byte())
  const rowBytes = dim * 4
  const rowsAt = r.skip(count * rowBytes)
  for (let i = 0; i < count; i++) {
    const at = rowsAt + i * rowBytes
    ops.push({ op: 'put', key: r.str(), value: r.b.subarray(at, at + rowBytes), rowMetadata: r.bytes() })
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A bounds-checked cursor: a malformed payload is a `STORE_CORRUPT` error, never a bad read. */
export class Reader {
  constructor(
    readonly b: Buffer,
    public at = 0,
    readonly end = b.length,
  ) {}

  private take(n: number): number {
    if (this.at + n > this.end) throw storeError('STORE_CORRUPT', 'record payload ends early')
    const s = this.at
    this.at += n
    return s
  }
  byte(): number {
    return this.b[this.take(1)]
  }
  /** Passes over `n` bytes; returns where they start. */
  skip(n: number): number {
    return this.take(n)
  }
  u32(): number {
    return this.b.readUInt32LE(this.take(4))
  }
  f64(): number {
    return this.b.readDoubleLE(this.take(8))
  }
  bytes(): Buffer {
    const n = this.u32()
    const s = this.take(n)
    return this.b.subarray(s, s + n)
  }
  str(): string {
    try {
      return utf8.decode(this.bytes())
    } catch (e) {
      if (e instanceof TypeError) throw storeError('STORE_CORRUPT', 'a key is not UTF-8')
      throw e
    }
  }
  done(): boolean {
    return this.at === this.end
  }
}
