/**
 * A vector store backed by the log, as `crates/vgent-core/src/persistent.rs`: every change is checked
 * by the in-memory collection, appended (one record per call, so a batch is atomic), then applied;
 * the log is replayed on open. The first record holds the store's dimension and metric as JSON
 * (`{"dimension":3,"metric":"cosine"}`); a put's value is the float32 LE vector followed by the
 * entry's metadata JSON (nothing when it has none).
 */
import type { NativeCollection, NativeHit } from '../../native'
import type { FallbackCollection } from '../collection'
import { metadataToJson } from '../metadata'
import { StoreKind, storeError } from './format'
import type { Op, OpRef } from './format'
import { replaySteps } from './recover'
import type { ReplayReport } from './recover'
import { runSync } from './steps'
import type { Steps } from './steps'
import { LOG_FILE, LogWriter } from './writer'
import * as path from 'node:path'

/** Makes the in-memory collection a store replays into. */
export type CollectionFactory = (dimension: number, metric: string) => FallbackCollection

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Copies `n` float32 LE values from `src` into `out` at `at` (bit-exact, NaN payloads included). */
function readF32LE(src: Uint8Array, out: Float32Array, at: number, n: number): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + at * 4, n * 4).set(src.subarray(0, n * 4))
    return
  }
  const v = new DataView(src.buffer, src.byteOffset, n * 4)
  const w = new DataView(out.buffer, out.byteOffset)
  for (let i = 0; i < n; i++) w.setUint32((at + i) * 4, v.getUint32(i * 4, true))
}

/** A vector entry's value in the log: the float32 LE row, then the metadata JSON (possibly empty). */
function encodeValue(vectors: Float32Array, row: number, dim: number, metadata: string | null): Uint8Array {
  const md = metadata === null ? null : Buffer.from(metadata, 'utf8')
  const out = Buffer.allocUnsafe(dim * 4 + (md ? md.length : 0))
  if (LITTLE_ENDIAN) out.set(new Uint8Array(vectors.buffer, vectors.byteOffset + row * dim * 4, dim * 4))
  else for (let i = 0; i < dim; i++) out.writeFloatLE(vectors[row * dim + i], i * 4)
  if (md) out.set(md, dim * 4)
  return out
}

function infoOp(dimension: number, metric: string): Op {
  return { op: 'info', value: Buffer.from(JSON.stringify({ dimension, metric }), 'utf8') }
}

interface StoreInfo {
  dimension: number
  metric: string
}

function parseInfo(dir: string, value: Uint8Array, want: StoreInfo | null): StoreInfo {
  let info: StoreInfo
  try {
    info = JSON.parse(utf8.decode(value)) as StoreInfo
  } catch (e) {
    throw storeError('STORE_CORRUPT', `${dir}: bad store info: ${(e as Error).message}`)
  }
  if (typeof info !== 'object' || info === null || !Number.isInteger(info.dimension) || info.dimension < 0 || typeof info.metric !== 'string') {
    throw storeError('STORE_CORRUPT', `${dir}: bad store info: expected {"dimension": integer, "metric": string}`)
  }
  if (want && (want.dimension !== info.dimension || want.metric !== info.metric)) throw mismatch(dir, info, want)
  return info
}

function mismatch(dir: string, have: StoreInfo, want: StoreInfo): Error {
  return storeError(
    'STORE_MISMATCH',
    `the store at ${dir} holds dimension ${have.dimension} with metric ${have.metric}; it was opened with dimension ${want.dimension} and metric ${want.metric}`,
  )
}

/** Replays records into a collection made by `make` when the store info arrives. */
class Replayer {
  collection: FallbackCollection | undefined
  info: StoreInfo | undefined
  private ids: string[] = []
  private rows: Uint8Array[] = []
  private metadata: (string | null)[] = []
  private pending = new Set<string>()

  constructor(
    private readonly dir: string,
    private readonly want: StoreInfo | null,
    private readonly make: CollectionFactory,
  ) {}

  private corrupt(what: string): Error {
    return storeError('STORE_CORRUPT', `${this.dir}: ${what}`)
  }

  /** Applies the puts gathered so far as one upsert (consecutive puts of distinct ids). */
  private flush(): void {
    if (this.ids.length === 0 || !this.collection || !this.info) return
    const dim = this.info.dimension
    const vectors = new Float32Array(this.ids.length * dim)
    this.rows.forEach((r, i) => readF32LE(r, vectors, i * dim, dim))
    const md = this.metadata.some((m) => m !== null) ? `[${this.metadata.map((m) => m ?? 'null').join(',')}]` : null
    this.collection.upsert(this.ids, vectors, md)
    this.ids = []
    this.rows = []
    this.metadata = []
    this.pending.clear()
  }

  visit = (ops: OpRef[]): void => {
    for (const op of ops) {
      if (op.op === 'info') {
        this.flush()
        this.info = parseInfo(this.dir, op.value, this.want)
        this.collection?.close()
        this.collection = this.make(this.info.dimension, this.info.metric)
      } else if (op.op === 'put') {
        if (!this.collection || !this.info) throw this.corrupt('a vector before the store info')
        const split = this.info.dimension * 4
        if (op.value.length < split || (op.rowMetadata && op.value.length !== split)) {
          throw this.corrupt(`vector ${JSON.stringify(op.key)} does not have the store's dimension`)
        }
        const mdBytes = op.rowMetadata ?? op.value.subarray(split)
        let md: string | null = null
        if (mdBytes.length > 0) {
          try {
            md = utf8.decode(mdBytes)
          } catch {
            throw this.corrupt(`metadata of ${JSON.stringify(op.key)} is not UTF-8`)
          }
        }
        if (this.pending.has(op.key)) this.flush()
        this.pending.add(op.key)
        this.ids.push(op.key)
        this.rows.push(op.value)
        this.metadata.push(md)
      } else {
        this.flush()
        this.collection?.remove(op.key)
      }
    }
    this.flush()
  }
}

const closedError = () => storeError('CLOSED', 'the store is closed')
const readOnlyError = () => storeError('INVALID_ARGUMENT', 'the store was opened read-only')

export class PersistentCollection implements NativeCollection {
  private closed = false

  private constructor(
    private readonly inner: FallbackCollection,
    /** `null` for a read-only snapshot. */
    private readonly log: LogWriter | null,
    private readonly dimension: number,
    private readonly metric: string,
    readonly report: ReplayReport,
  ) {}

  /** Opens (creating if needed) the vector store in `dir` for writing, taking its lock. */
  static open(dir: string, dimension: number, metric: string, fsync: boolean, make: CollectionFactory): PersistentCollection {
    return runSync(PersistentCollection.openSteps(dir, dimension, metric, fsync, make))
  }

  /** `open` in steps, for `runAsync` (./steps). */
  static *openSteps(dir: string, dimension: number, metric: string, fsync: boolean, make: CollectionFactory): Steps<PersistentCollection> {
    // An unknown metric or a bad dimension fails here, before anything is created.
    make(dimension, metric).close()
    const r = new Replayer(dir, { dimension, metric }, make)
    const { writer, report } = yield* LogWriter.openSteps(dir, StoreKind.Vector, fsync, r.visit)
    try {
      let inner = r.collection
      if (!inner) {
        inner = make(dimension, metric)
        writer.append([infoOp(dimension, metric)])
        writer.syncNow()
      }
      return new PersistentCollection(inner, writer, dimension, metric, report)
    } catch (e) {
      writer.close()
      throw e
    }
  }

  /** A read-only snapshot of the store in `dir`, without its lock: safe beside a live writer. */
  static openReadOnly(dir: string, dimension: number, metric: string, make: CollectionFactory): PersistentCollection {
    return runSync(PersistentCollection.openReadOnlySteps(dir, dimension, metric, make))
  }

  /** `openReadOnly` in steps, for `runAsync` (./steps). */
  static *openReadOnlySteps(dir: string, dimension: number, metric: string, make: CollectionFactory): Steps<PersistentCollection> {
    make(dimension, metric).close()
    const r = new Replayer(dir, null, make)
    const report = yield* replaySteps(path.join(dir, LOG_FILE), StoreKind.Vector, r.visit)
    if (!r.collection || !r.info) throw storeError('STORE_CORRUPT', `${dir}: no store info`)
    if (r.info.dimension !== dimension || r.info.metric !== metric) {
      r.collection.close()
      throw mismatch(dir, r.info, { dimension, metric })
    }
    return new PersistentCollection(r.collection, null, dimension, metric, report)
  }

  private open(): FallbackCollection {
    if (this.closed) throw closedError()
    return this.inner
  }

  private writer(): LogWriter {
    if (this.closed) throw closedError()
    if (!this.log) throw readOnlyError()
    return this.log
  }

  /** Checked once, appended, then applied: a batch is in the log before the store shows it. */
  upsert(ids: string[], vectors: Float32Array, metadataJson?: string | null): void {
    const log = this.writer()
    const batch = this.inner.check(ids, vectors, metadataJson)
    const ops: Op[] = ids.map((key, i) => ({
      op: 'put',
      key,
      value: encodeValue(vectors, i, this.dimension, metadataToJson(batch.metadata[i]) ?? null),
    }))
    log.append(ops)
    this.inner.applyChecked(batch)
  }

  async upsertAsync(ids: string[], vectors: Float32Array, metadataJson?: string | null): Promise<void> {
    this.upsert(ids, vectors, metadataJson)
  }

  validate(ids: string[], vectors: Float32Array, metadataJson?: string | null): void {
    this.open().validate(ids, vectors, metadataJson)
  }

  remove(id: string): boolean {
    const log = this.writer()
    if (!this.inner.has(id)) return false
    log.append([{ op: 'delete', key: id }])
    return this.inner.remove(id)
  }

  clear(): number {
    const log = this.writer()
    if (this.inner.count() === 0) return 0
    log.append(this.inner.ids().map((key): Op => ({ op: 'delete', key })))
    return this.inner.clear()
  }

  ids(): string[] {
    return this.open().ids()
  }
  getMany(ids: string[]): { ids: string[]; vectors: Float32Array; metadataJson: string } {
    return this.open().getMany(ids)
  }
  get(id: string): { vector: Float32Array; metadata?: string } | null {
    return this.open().get(id)
  }
  has(id: string): boolean {
    return this.open().has(id)
  }
  count(): number {
    return this.open().count()
  }
  search(q: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[] {
    return this.open().search(q, k, threshold, filterJson)
  }
  // The async twins reject (never throw) after close, as the native tasks do.
  async searchAsync(q: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[]> {
    return this.open().searchAsync(q, k, threshold, filterJson)
  }
  searchBatch(qs: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[][] {
    return this.open().searchBatch(qs, k, threshold, filterJson)
  }
  async searchBatchAsync(qs: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[][]> {
    return this.open().searchBatchAsync(qs, k, threshold, filterJson)
  }

  /** Makes every write appended so far durable; concurrent calls share one fsync. Nothing to do once closed. */
  async syncAsync(): Promise<void> {
    if (this.closed || !this.log) return
    await this.log.sync(this.log.appended())
  }

  /** Rewrites the log as the store info and the live entries only, swapped in atomically. */
  compact(): void {
    const log = this.writer()
    const ops: Op[] = [infoOp(this.dimension, this.metric)]
    const ids = this.inner.ids()
    const STEP = 4096
    for (let s = 0; s < ids.length; s += STEP) {
      const batch = this.inner.getMany(ids.slice(s, s + STEP))
      const md = JSON.parse(batch.metadataJson) as unknown[]
      batch.ids.forEach((key, i) => {
        const m = md[i]
        ops.push({ op: 'put', key, value: encodeValue(batch.vectors, i, this.dimension, m == null ? null : JSON.stringify(m)) })
      })
    }
    log.compact(StoreKind.Vector, ops)
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
