/**
 * A datum store backed by the log, as `crates/vgent-core/src/datum.rs`: every write is checked, then
 * appended as one record, then applied to the in-memory store; deletes are tombstones. A datum's value
 * in the log is `created_at f64 · parent flag u8 [· parent] · n u32 · (key, value)* · content`, every
 * string and the content as `len u32 · bytes`.
 */
import * as path from 'node:path'
import type { NativeDatum, NativeDgent } from '../../native'
import { datumMetadataJson, parseDatumMetadata } from '../datum'
import { Reader, StoreKind, storeError } from './format'
import type { Op, OpRef } from './format'
import { replaySteps } from './recover'
import { runSync } from './steps'
import type { Steps } from './steps'
import { LOG_FILE, LogWriter } from './writer'

/** Makes the in-memory datum store a log replays into. */
export type DgentFactory = () => NativeDgent

/** Ids are keys, not payloads; 2 KiB leaves room for any vector id (1 KiB) under any namespace prefix. */
const MAX_ID_BYTES = 2048

interface Datum {
  id: string
  content: Uint8Array
  createdAt: number
  causalParent: string | null
  /** String pairs in the writer's order. */
  metadata: [string, string][]
}

function checkId(id: string, what: string): void {
  const n = Buffer.byteLength(id, 'utf8')
  if (n === 0 || n > MAX_ID_BYTES) {
    throw storeError('INVALID_ID', `${what} must be 1 to ${MAX_ID_BYTES} bytes of UTF-8, got ${n} bytes`)
  }
}

function checkDatum(d: Datum): void {
  checkId(d.id, 'datum id')
  if (d.causalParent != null) checkId(d.causalParent, 'causalParent')
  if (!Number.isFinite(d.createdAt)) throw storeError('INVALID_ARGUMENT', 'createdAt must be a finite number of milliseconds')
}

function encode(d: Datum): Buffer {
  const parent = d.causalParent == null ? null : Buffer.from(d.causalParent, 'utf8')
  const pairs = d.metadata.map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const)
  let size = 8 + 1 + (parent ? 4 + parent.length : 0) + 4 + 4 + d.content.length
  for (const [k, v] of pairs) size += 8 + k.length + v.length
  const out = Buffer.allocUnsafe(size)
  let at = out.writeDoubleLE(d.createdAt, 0)
  const put = (b: Uint8Array) => {
    at = out.writeUInt32LE(b.length, at)
    out.set(b, at)
    at += b.length
  }
  out[at++] = parent ? 1 : 0
  if (parent) put(parent)
  at = out.writeUInt32LE(pairs.length, at)
  for (const [k, v] of pairs) {
    put(k)
    put(v)
  }
  put(d.content)
  return out
}

function decode(id: string, value: Buffer): Datum {
  const r = new Reader(value)
  const createdAt = r.f64()
  const flag = r.byte()
  let causalParent: string | null = null
  if (flag === 1) causalParent = r.str()
  else if (flag !== 0) throw storeError('STORE_CORRUPT', `datum ${JSON.stringify(id)}: bad parent flag ${flag}`)
  const n = r.u32()
  const metadata: [string, string][] = []
  for (let i = 0; i < n; i++) metadata.push([r.str(), r.str()])
  const content = r.bytes()
  if (!r.done()) throw storeError('STORE_CORRUPT', `datum ${JSON.stringify(id)}: trailing bytes`)
  return { id, content, createdAt, causalParent, metadata }
}

function applier(store: NativeDgent): (ops: OpRef[]) => void {
  return (ops) => {
    for (const op of ops) {
      if (op.op === 'put') {
        if (op.rowMetadata) throw storeError('STORE_CORRUPT', 'a datum store holds a vector rows record')
        const d = decode(op.key, op.value)
        store.put(d.id, d.content, d.createdAt, d.causalParent, datumMetadataJson(d.metadata))
      } else if (op.op === 'delete') {
        store.delete(op.key)
      }
    }
  }
}

const closedError = () => storeError('CLOSED', 'the D-gent store is closed')
const readOnlyError = () => storeError('INVALID_ARGUMENT', 'the store was opened read-only')

export class PersistentDgent implements NativeDgent {
  private closed = false

  private constructor(
    private readonly inner: NativeDgent,
    /** `null` for a read-only snapshot. */
    private readonly log: LogWriter | null,
  ) {}

  /** Opens (creating if needed) the datum store in `dir` for writing, replaying its log. */
  static open(dir: string, fsync: boolean, make: DgentFactory): PersistentDgent {
    return runSync(PersistentDgent.openSteps(dir, fsync, make))
  }

  /** `open` in steps, for `runAsync` (./steps). */
  static *openSteps(dir: string, fsync: boolean, make: DgentFactory): Steps<PersistentDgent> {
    const inner = make()
    try {
      const { writer } = yield* LogWriter.openSteps(dir, StoreKind.Datum, fsync, applier(inner))
      return new PersistentDgent(inner, writer)
    } catch (e) {
      inner.close()
      throw e
    }
  }

  /** A snapshot of the store in `dir` without taking its lock: safe beside a live writer. */
  static openReadOnly(dir: string, make: DgentFactory): PersistentDgent {
    return runSync(PersistentDgent.openReadOnlySteps(dir, make))
  }

  /** `openReadOnly` in steps, for `runAsync` (./steps). */
  static *openReadOnlySteps(dir: string, make: DgentFactory): Steps<PersistentDgent> {
    const inner = make()
    try {
      yield* replaySteps(path.join(dir, LOG_FILE), StoreKind.Datum, applier(inner))
      return new PersistentDgent(inner, null)
    } catch (e) {
      inner.close()
      throw e
    }
  }

  private open(): NativeDgent {
    if (this.closed) throw closedError()
    return this.inner
  }

  private writer(): LogWriter {
    if (this.log) return this.log
    throw readOnlyError()
  }

  /** Checks, appends one record, then applies (an upsert). Acknowledge it after `syncAsync`. */
  put(id: string, content: Uint8Array, createdAt: number, causalParent: string | null, metadata: string): void {
    // The native binding's order: metadata JSON, then CLOSED, then the datum, then read-only.
    const pairs = parseDatumMetadata(metadata)
    this.open()
    const d: Datum = { id, content, createdAt, causalParent, metadata: pairs }
    checkDatum(d)
    this.writer().append([{ op: 'put', key: id, value: encode(d) }])
    this.inner.put(id, content, createdAt, causalParent, datumMetadataJson(d.metadata))
  }

  delete(id: string): boolean {
    if (!this.open().exists(id)) return false
    this.writer().append([{ op: 'delete', key: id }])
    return this.inner.delete(id)
  }

  get(id: string): NativeDatum | null {
    return this.open().get(id)
  }
  exists(id: string): boolean {
    return this.open().exists(id)
  }
  count(): number {
    return this.open().count()
  }
  list(prefix: string, after: number | null, limit: number): NativeDatum[] {
    return this.open().list(prefix, after, limit)
  }
  causalChain(id: string): NativeDatum[] {
    return this.open().causalChain(id)
  }

  /** Makes every write appended so far durable; concurrent calls share one fsync. */
  async syncAsync(): Promise<void> {
    if (this.closed || !this.log) return
    await this.log.sync(this.log.appended())
  }

  /** Rewrites the log as the live datums only, oldest first (replay rebuilds the same order). */
  compact(): void {
    const inner = this.open()
    const log = this.writer()
    const live = inner.list('', null, Math.max(inner.count(), 1)).reverse()
    const ops: Op[] = live.map((n) => {
      const d: Datum = {
        id: n.id,
        content: n.content,
        createdAt: n.createdAt,
        causalParent: n.causalParent ?? null,
        metadata: parseDatumMetadata(n.metadataJson),
      }
      return { op: 'put', key: n.id, value: encode(d) }
    })
    log.compact(StoreKind.Datum, ops)
  }

  /** Syncs what was appended, then drops the store and its lock; later calls fail with `CLOSED`. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.log?.close()
    } finally {
      this.inner.close()
    }
  }
}
