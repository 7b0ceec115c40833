/**
 * Reading a log back with the rules of `crates/vgent-core/src/log/recover.rs`: every record is
 * verified; a write cut short at the end (a torn tail) is left out; a complete record that fails its
 * checksum with more bytes after it is `STORE_CORRUPT`, never skipped silently. `salvage` is repair's
 * scan: keep every record that verifies, resynchronising byte by byte after damage.
 */
import * as fs from 'node:fs'
import { FRAME_LEN, HEADER_LEN, MAX_RECORD, decodeOps, kindName, parseHeader, readFrame, storeError } from './format'
import type { OpRef, StoreKind } from './format'
import type { Steps } from './steps'

export interface ReplayReport {
  records: number
  /** Offset just past the last verified record: where appends continue. */
  validEnd: number
  /** Bytes after `validEnd` that belonged to a write cut short by a crash. */
  tornBytes: number
}

/** How much of the log one refill reads (more when a record is bigger). */
const CHUNK = 8 << 20
/** How much replayed log (or how many records) between two yields of `replaySteps`. */
const YIELD_BYTES = 256 << 10
const YIELD_RECORDS = 1024
/** The page size a torn write is assumed to be made of. */
const PAGE = 4096

export function ioError(what: string, file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException
  if (err?.code === 'ENOSPC') return storeError('IO_ERROR', `${what} ${file}: the disk is full (nothing was written)`)
  return storeError('IO_ERROR', `${what} ${file}: ${err?.message ?? String(e)}`)
}

/** A window over the file: `buf[0]` is file offset `base`; refilled so a whole record is in hand. */
class Window {
  buf = Buffer.alloc(0)
  base = HEADER_LEN
  at = 0
  eof = false

  constructor(
    private readonly fd: number,
    private readonly name: string,
  ) {}

  /** Whether `n` bytes from `at` are in hand, reading more if needed (fewer only at end of file). */
  ensure(n: number): boolean {
    if (this.buf.length - this.at >= n) return true
    if (this.eof) return false
    const kept = this.buf.length - this.at
    const next = Buffer.allocUnsafe(Math.max(n, CHUNK))
    this.buf.copy(next, 0, this.at)
    this.base += this.at
    this.at = 0
    let filled = kept
    while (filled < next.length) {
      let got: number
      try {
        got = fs.readSync(this.fd, next, filled, next.length - filled, this.base + filled)
      } catch (e) {
        throw ioError('cannot read', this.name, e)
      }
      if (got === 0) {
        this.eof = true
        break
      }
      filled += got
    }
    this.buf = next.subarray(0, filled)
    return filled >= n
  }
}

/** Whether every byte of the file in `[from, to)` is zero. */
function zeroRange(fd: number, name: string, from: number, to: number): boolean {
  const scratch = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(to - from, 1)))
  for (let at = from; at < to; ) {
    let got: number
    try {
      got = fs.readSync(fd, scratch, 0, Math.min(scratch.length, to - at), at)
    } catch (e) {
      throw ioError('cannot read', name, e)
    }
    if (got === 0) break
    for (let i = 0; i < got; i++) if (scratch[i] !== 0) return false
    at += got
  }
  return true
}

/**
 * Whether the bad frame at file offset `at` is what a crash mid-append leaves rather than damage:
 * its length runs past the end of the file (or is absurd); or it is the last frame and everything from
 * a page boundary inside it to the end is zero; or every byte from it to the end is zero.
 */
function isTorn(fd: number, name: string, len: number, at: number, fileLen: number): boolean {
  const end = at + FRAME_LEN + len
  if (len > MAX_RECORD || end > fileLen) return true
  if (end === fileLen) {
    const page = (Math.floor(at / PAGE) + 1) * PAGE
    if (page < end && zeroRange(fd, name, page, end)) return true
  }
  return zeroRange(fd, name, at, fileLen)
}

function fileSize(fd: number, name: string): number {
  try {
    return fs.fstatSync(fd).size
  } catch (e) {
    throw ioError('cannot read', name, e)
  }
}

/**
 * Reads the log at `path` and calls `visit` with the ops of each verified record, in order, yielding
 * after every 256 KiB (or 1024 records) replayed: drive it with `runSync` or `runAsync` (./steps).
 */
export function* replaySteps(path: string, kind: StoreKind, visit: (ops: OpRef[]) => void): Steps<ReplayReport> {
  const name = path
  let fd: number
  try {
    fd = fs.openSync(path, 'r')
  } catch (e) {
    throw ioError('cannot read', name, e)
  }
  try {
    const head = Buffer.alloc(HEADER_LEN)
    let got = 0
    while (got < HEADER_LEN) {
      const n = fs.readSync(fd, head, got, HEADER_LEN - got, got)
      if (n === 0) break
      got += n
    }
    const found = parseHeader(head.subarray(0, got), name)
    if (found !== kind) throw storeError('STORE_MISMATCH', `${name} holds a ${kindName(found)} store, not a ${kindName(kind)} store`)
    const w = new Window(fd, name)
    let records = 0
    let sinceYield = 0
    let recordsSinceYield = 0
    for (;;) {
      if (sinceYield >= YIELD_BYTES || recordsSinceYield >= YIELD_RECORDS) {
        sinceYield = 0
        recordsSinceYield = 0
        yield
      }
      w.ensure(FRAME_LEN)
      if (w.buf.length - w.at >= FRAME_LEN) {
        const len = w.buf.readUInt32LE(w.at)
        if (len <= MAX_RECORD) w.ensure(FRAME_LEN + len)
      }
      const offset = w.base + w.at
      if (w.buf.length === w.at) return done(records, offset)
      const frame = readFrame(w.buf, w.at)
      if (frame.kind === 'truncated') return done(records, offset)
      if (frame.kind === 'bad') {
        if (isTorn(fd, name, w.buf.readUInt32LE(w.at), offset, fileSize(fd, name))) return done(records, offset)
        throw storeError(
          'STORE_CORRUPT',
          `${name}: record at offset ${offset} fails its checksum (damaged, not a torn write); run repairStore to salvage the intact records`,
        )
      }
      let ops: OpRef[]
      try {
        ops = decodeOps(w.buf, w.at + FRAME_LEN, w.at + frame.total)
      } catch (e) {
        const m = /^([A-Z_]+): ([\s\S]*)$/.exec((e as Error).message)
        throw m ? storeError(m[1], `${name} at offset ${offset}: ${m[2]}`) : e
      }
      visit(ops)
      records++
      recordsSinceYield++
      sinceYield += frame.total
      w.at += frame.total
    }
  } finally {
    fs.closeSync(fd)
  }

  function done(records: number, validEnd: number): ReplayReport {
    // What follows the last verified record (a torn write) is measured against the file's real end.
    return { records, validEnd, tornBytes: Math.max(0, fileSize(fd, name) - validEnd) }
  }
}

/** Result of `repair`. */
export interface RepairReport {
  keptRecords: number
  /** Damaged stretches skipped (each may have held one or more records). */
  droppedRegions: number
  droppedBytes: number
}

/**
 * Scans a whole log and returns the verified records' frames (views into `bytes`) and what was
 * dropped, yielding after every 256 KiB scanned (drive it with `runSync` or `runAsync`).
 */
export function* salvageSteps(bytes: Buffer): Steps<{ frames: Buffer[]; report: RepairReport }> {
  const frames: Buffer[] = []
  const report: RepairReport = { keptRecords: 0, droppedRegions: 0, droppedBytes: 0 }
  let at = Math.min(HEADER_LEN, bytes.length)
  let inDamage = false
  let nextYield = at + YIELD_BYTES
  while (at < bytes.length) {
    if (at >= nextYield) {
      nextYield = at + YIELD_BYTES
      yield
    }
    const f = readFrame(bytes, at)
    if (f.kind === 'ok' && decodes(bytes, at, f.total)) {
      frames.push(bytes.subarray(at, at + f.total))
      report.keptRecords++
      inDamage = false
      at += f.total
    } else {
      if (!inDamage) {
        report.droppedRegions++
        inDamage = true
      }
      report.droppedBytes++
      at++
    }
  }
  return { frames, report }
}

function decodes(b: Buffer, at: number, total: number): boolean {
  try {
    decodeOps(b, at + FRAME_LEN, at + total)
    return true
  } catch {
    return false
  }
}
