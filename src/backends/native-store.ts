/**
 * The protocol over a native collection, shared by the Memory and D-gent tiers. Small calls run on
 * the JS thread (a thread hop would cost more than the work); big scans and big batches run on the
 * libuv pool so the event loop keeps turning. Subclasses add durability through `afterWrite`.
 */
import { normalizeBatch } from '../batch'
import { Embedding } from '../embedding'
import { ErrorCode, VgentError, fromNative } from '../errors'
import { ReadWriteGate } from '../gate'
import type { NativeCollection, NativeHit } from '../native'
import type {
  BatchEntry,
  BulkBatch,
  DistanceMetric,
  ExportBatch,
  Metadata,
  SearchOptions,
  SearchResult,
  VectorEntry,
  VectorInput,
  VgentProtocol,
} from '../types'
import { checkId, checkMetadata, checkSearchOptions, toFloat32 } from '../validate'

/** Above this many floats of work, a call goes to the thread pool (~1 ms of scanning). */
const ASYNC_WORK_FLOATS = 1 << 20

export function toResults(hits: NativeHit[]): SearchResult[] {
  return hits.map((h) => ({
    id: h.id,
    similarity: h.similarity,
    distance: h.distance,
    metadata: h.metadata ? (JSON.parse(h.metadata) as Metadata) : {},
  }))
}

/** A validated change, handed to `persist` before the in-memory index applies it. */
export type StoreChange =
  | { kind: 'upsert'; ids: string[]; vectors: Float32Array; metadata: Metadata[] | undefined }
  | { kind: 'remove'; id: string }
  | { kind: 'clear' }

export abstract class NativeVectorStore implements VgentProtocol {
  protected readonly gate = new ReadWriteGate()
  private closed = false

  protected constructor(
    readonly dimension: number,
    readonly metric: DistanceMetric,
    protected readonly native: NativeCollection,
  ) {}

  /** Runs after a write has been applied, outside the gate; its promise is the write's acknowledgement. */
  protected async afterWrite(): Promise<void> {}

  /**
   * For tiers whose source of truth lives elsewhere: stores a validated change there, inside the
   * write gate, before the index applies it. Throwing aborts the change.
   */
  protected persist?(change: StoreChange): Promise<void>

  /** Validates, persists (if the tier does), then applies an upsert; on the pool when it is big. */
  private async upsert(ids: string[], vectors: Float32Array, metadata: Metadata[] | undefined): Promise<void> {
    const json = metadata ? JSON.stringify(metadata) : null
    if (this.persist) {
      this.native.validate(ids, vectors, json)
      await this.persist({ kind: 'upsert', ids, vectors, metadata })
    }
    if (vectors.length >= ASYNC_WORK_FLOATS) await this.native.upsertAsync(ids, vectors, json)
    else this.native.upsert(ids, vectors, json)
  }

  protected checkOpen(): void {
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the store is closed')
  }

  /** Runs `body` through the gate after the closed check, converting native errors. */
  protected async op<T>(write: boolean, body: () => T | Promise<T>): Promise<T> {
    this.checkOpen()
    return this.gate.run(write, async () => {
      this.checkOpen()
      try {
        return await body()
      } catch (e) {
        throw fromNative(e)
      }
    })
  }

  async add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string> {
    this.checkOpen()
    checkId(id)
    const v = toFloat32(vector, this.dimension)
    const md = checkMetadata(metadata)
    await this.op(true, () => this.upsert([id], v, Object.keys(md).length > 0 ? [md] : undefined))
    await this.afterWrite()
    return id
  }

  async addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]> {
    this.checkOpen()
    const batch = normalizeBatch(entries, this.dimension)
    await this.op(true, () => this.upsert(batch.ids, batch.vectors, batch.metadata))
    await this.afterWrite()
    return batch.ids
  }

  async remove(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    const removed = await this.op(true, async () => {
      if (this.persist) {
        if (!this.native.has(id)) return false
        await this.persist({ kind: 'remove', id })
      }
      return this.native.remove(id)
    })
    if (removed) await this.afterWrite()
    return removed
  }

  async clear(): Promise<number> {
    const n = await this.op(true, async () => {
      if (this.persist && this.native.count() > 0) await this.persist({ kind: 'clear' })
      return this.native.clear()
    })
    if (n > 0) await this.afterWrite()
    return n
  }

  async get(id: string): Promise<VectorEntry | null> {
    this.checkOpen()
    checkId(id)
    return this.op(false, () => {
      const e = this.native.get(id)
      if (!e) return null
      return {
        id,
        embedding: new Embedding(e.vector),
        metadata: e.metadata ? (JSON.parse(e.metadata) as Metadata) : {},
      }
    })
  }

  async search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]> {
    this.checkOpen()
    const q = toFloat32(query, this.dimension, 'query')
    const o = checkSearchOptions(options)
    const filter = o.filter ? JSON.stringify(o.filter) : null
    return this.op(false, async () => {
      const work = this.native.count() * this.dimension
      const hits =
        work >= ASYNC_WORK_FLOATS
          ? await this.native.searchAsync(q, o.limit, o.threshold, filter)
          : this.native.search(q, o.limit, o.threshold, filter)
      return toResults(hits)
    })
  }

  async searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]> {
    this.checkOpen()
    const qs = flattenQueries(queries, this.dimension)
    const o = checkSearchOptions(options)
    const filter = o.filter ? JSON.stringify(o.filter) : null
    return this.op(false, async () => {
      if (qs.length === 0) return []
      const work = this.native.count() * qs.length
      const hits =
        work >= ASYNC_WORK_FLOATS
          ? await this.native.searchBatchAsync(qs, o.limit, o.threshold, filter)
          : this.native.searchBatch(qs, o.limit, o.threshold, filter)
      return hits.map(toResults)
    })
  }

  async count(): Promise<number> {
    return this.op(false, () => this.native.count())
  }

  /** Streams every entry out in batches: a snapshot of the ids, then their current contents. */
  async *exportEntries(options: { batchSize?: number } = {}): AsyncIterable<ExportBatch> {
    const batchSize = options.batchSize ?? 10_000
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `batchSize must be a positive integer, got ${String(batchSize)}`)
    }
    const ids = await this.op(false, () => this.native.ids())
    for (let at = 0; at < ids.length; at += batchSize) {
      const chunk = ids.slice(at, at + batchSize)
      const b = await this.op(false, () => this.native.getMany(chunk))
      if (b.ids.length === 0) continue
      const metadata = (JSON.parse(b.metadataJson) as (Metadata | null)[]).map((m) => m ?? {})
      yield { ids: b.ids, vectors: b.vectors, metadata }
    }
  }

  async exists(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    return this.op(false, () => this.native.has(id))
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.gate.run(true, () => {
      this.closed = true
      this.native.close()
    })
  }
}

/** Queries as one row-major buffer: a flat Float32Array as it is, or a list of vectors copied in. */
export function flattenQueries(queries: VectorInput[] | Float32Array, dimension: number): Float32Array {
  if (queries instanceof Float32Array) {
    if (queries.length % dimension !== 0) {
      throw new VgentError(
        ErrorCode.DIMENSION_MISMATCH,
        `${queries.length} query floats are not a multiple of the store's dimension ${dimension}`,
      )
    }
    return queries
  }
  if (!Array.isArray(queries)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'searchBatch expects an array of vectors or a flat Float32Array')
  }
  const out = new Float32Array(queries.length * dimension)
  queries.forEach((q, i) => out.set(toFloat32(q, dimension, `query ${i}`), i * dimension))
  return out
}
