/**
 * `FallbackCollection`: the Memory tier's store in TypeScript, mirroring crates/vgent-core/src/
 * collection.rs and the binding around it (crates/vgent-node/src/collection.rs, tasks.rs, shared.rs):
 * one growable Float32Array of rows, an id → slot map, O(1) swap-remove (the last row moves into the
 * freed slot, so `ids()` is in slot order exactly as native), atomic batches (all checked before any
 * is applied; duplicate ids: the last wins), an exact scan with filters applied during it, top-k
 * with the protocol's tie order and the threshold applied after selection. Checks run in the
 * binding's order: metadata or filter JSON first, then CLOSED, then the arguments.
 */
import { ErrorCode } from '../errors'
import type { FilterNode } from '../filter'
import type { NativeCollection, NativeHit } from '../native'
import type { Metadata } from '../types'
import { coreError, quote } from './error'
import { matches, parseFilter } from './filter'
import { parseMetadataJson, metadataToJson } from './metadata'
import { scoresFromKey } from '../metric'
import { checkVector, inverseNorm, needsFloat32Kernel, parseMetric, rowKey, type Metric } from './metrics'
import { TopK } from './topk'

/** Ids are limited in UTF-8 bytes so that every tier can store them as keys. */
export const MAX_ID_BYTES = 1024
export const MAX_DIMENSION = 65_536
const MAX_ROWS = 2 ** 32 - 1
/** Floats scored between two turns of the event loop in the async scans (~1 ms of work). */
const CHUNK_FLOATS = 1 << 20

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export function validateId(id: string): void {
  if (id.length === 0) throw coreError(ErrorCode.INVALID_ID, 'id must be a non-empty string')
  const bytes = Buffer.byteLength(id, 'utf8')
  if (bytes > MAX_ID_BYTES) {
    throw coreError(ErrorCode.INVALID_ID, `id is ${bytes} bytes; the limit is ${MAX_ID_BYTES} bytes (UTF-8)`)
  }
}

/** The stored rows. `version` changes on every write, so an async scan can tell it was overtaken. */
class Rows {
  data = new Float32Array(0)
  /** 1/‖row‖ per slot, as float32 (cosine only). */
  invNorms = new Float32Array(0)
  /** The largest row norm ever stored (until `clear`): tells when float32 dot products may overflow. */
  maxNorm = 0
  ids: string[] = []
  slotOf = new Map<string, number>()
  metadata: (Metadata | undefined)[] = []
  version = 0

  constructor(readonly dim: number) {}

  get count(): number {
    return this.ids.length
  }

  reserve(additional: number): void {
    const need = this.count + additional
    const cap = this.invNorms.length
    if (need <= cap) return
    const next = Math.max(need, Math.min(cap * 2, MAX_ROWS), 16)
    const data = new Float32Array(next * this.dim)
    data.set(this.data.subarray(0, this.count * this.dim))
    const inv = new Float32Array(next)
    inv.set(this.invNorms.subarray(0, this.count))
    this.data = data
    this.invNorms = inv
  }

  put(id: string, vectors: Float32Array, row: number, sq: number, md: Metadata | undefined): void {
    const dim = this.dim
    const inv = inverseNorm(sq)
    this.maxNorm = Math.max(this.maxNorm, Math.sqrt(sq))
    const src = vectors.subarray(row * dim, (row + 1) * dim)
    const slot = this.slotOf.get(id)
    if (slot !== undefined) {
      this.data.set(src, slot * dim)
      this.invNorms[slot] = inv
      this.metadata[slot] = md
      return
    }
    const s = this.count
    this.data.set(src, s * dim)
    this.invNorms[s] = inv
    this.ids.push(id)
    this.slotOf.set(id, s)
    this.metadata.push(md)
  }

  remove(id: string): boolean {
    const s = this.slotOf.get(id)
    if (s === undefined) return false
    const dim = this.dim
    const last = this.count - 1
    this.slotOf.delete(id)
    if (s !== last) {
      this.data.copyWithin(s * dim, last * dim, (last + 1) * dim)
      this.invNorms[s] = this.invNorms[last]
      this.ids[s] = this.ids[last]
      this.metadata[s] = this.metadata[last]
      this.slotOf.set(this.ids[s], s)
    }
    this.ids.pop()
    this.metadata.pop()
    this.version++
    return true
  }

  clear(): number {
    const n = this.count
    this.data = new Float32Array(0)
    this.invNorms = new Float32Array(0)
    this.maxNorm = 0
    this.ids = []
    this.slotOf = new Map()
    this.metadata = []
    this.version++
    return n
  }
}

interface Search {
  k: number
  threshold: number | undefined
  filter: FilterNode | undefined
}

/** A batch `FallbackCollection.check` accepted: metadata parsed (`undefined` = none), ‖row‖² per row. */
export interface CheckedBatch {
  ids: string[]
  vectors: Float32Array
  metadata: (Metadata | undefined)[]
  sq: Float64Array
}

export class FallbackCollection implements NativeCollection {
  private readonly dim: number
  private readonly metric: Metric
  private rows: Rows | null

  constructor(dimension: number, metric: string) {
    this.metric = parseMetric(metric)
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_DIMENSION) {
      throw coreError(ErrorCode.INVALID_ARGUMENT, `dimension must be an integer in 1..=${MAX_DIMENSION}, got ${dimension}`)
    }
    this.dim = dimension
    this.rows = new Rows(dimension)
  }

  private open(): Rows {
    if (!this.rows) throw coreError(ErrorCode.CLOSED, 'the store is closed')
    return this.rows
  }

  // ---- writes ----------------------------------------------------------------------------------

  /** `Collection::validate_batch`; returns ‖row‖² for each row. */
  private validateBatch(rows: Rows, ids: string[], vectors: Float32Array): Float64Array {
    const n = ids.length
    const dim = this.dim
    if (vectors.length !== n * dim) {
      throw coreError(ErrorCode.DIMENSION_MISMATCH, `${vectors.length} floats given for ${n} ids: expected ${n} x ${dim} = ${n * dim}`)
    }
    const sq = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const id = ids[i]
      try {
        validateId(id)
      } catch (e) {
        throw relabel(e, `entry ${i}: `)
      }
      try {
        sq[i] = checkVector(vectors, i * dim, dim, this.metric, 'vector')
      } catch (e) {
        throw relabel(e, `entry ${i} (id ${quote(id)}): `)
      }
    }
    if (rows.count + n > MAX_ROWS) throw coreError(ErrorCode.INVALID_ARGUMENT, 'a collection holds at most 2^32-1 vectors')
    return sq
  }

  /**
   * Checks a batch as `upsert` does and keeps what the check computed, for `applyChecked`: a log-backed
   * store appends the batch in between, without checking or parsing it twice.
   */
  check(ids: string[], vectors: Float32Array, metadataJson?: string | null): CheckedBatch {
    const metadata = parseMetadataJson(metadataJson, ids.length)
    const sq = this.validateBatch(this.open(), ids, vectors)
    return { ids, vectors, metadata, sq }
  }

  /** Applies a batch `check` accepted, before any other write to this collection. */
  applyChecked(b: CheckedBatch): void {
    const rows = this.open()
    rows.reserve(b.ids.length)
    for (let i = 0; i < b.ids.length; i++) rows.put(b.ids[i], b.vectors, i, b.sq[i], b.metadata[i])
    rows.version++
  }

  validate(ids: string[], vectors: Float32Array, metadataJson?: string | null): void {
    this.check(ids, vectors, metadataJson)
  }

  upsert(ids: string[], vectors: Float32Array, metadataJson?: string | null): void {
    this.applyChecked(this.check(ids, vectors, metadataJson))
  }

  /** `upsert` after one turn of the event loop (where the native core hops to the thread pool). */
  async upsertAsync(ids: string[], vectors: Float32Array, metadataJson?: string | null): Promise<void> {
    await yieldToLoop()
    this.upsert(ids, vectors, metadataJson)
  }

  remove(id: string): boolean {
    return this.open().remove(id)
  }

  clear(): number {
    return this.open().clear()
  }

  // ---- reads -----------------------------------------------------------------------------------

  get(id: string): { vector: Float32Array; metadata?: string } | null {
    const rows = this.open()
    const s = rows.slotOf.get(id)
    if (s === undefined) return null
    const vector = rows.data.slice(s * this.dim, (s + 1) * this.dim)
    const metadata = metadataToJson(rows.metadata[s])
    return metadata === undefined ? { vector } : { vector, metadata }
  }

  ids(): string[] {
    return this.open().ids.slice()
  }

  getMany(ids: string[]): { ids: string[]; vectors: Float32Array; metadataJson: string } {
    const rows = this.open()
    const dim = this.dim
    const found: string[] = []
    const slots: number[] = []
    for (const id of ids) {
      const s = rows.slotOf.get(id)
      if (s === undefined) continue
      found.push(id)
      slots.push(s)
    }
    const vectors = new Float32Array(slots.length * dim)
    slots.forEach((s, i) => vectors.set(rows.data.subarray(s * dim, (s + 1) * dim), i * dim))
    const metadataJson = `[${slots.map((s) => metadataToJson(rows.metadata[s]) ?? 'null').join(',')}]`
    return { ids: found, vectors, metadataJson }
  }

  has(id: string): boolean {
    return this.open().slotOf.has(id)
  }

  count(): number {
    return this.open().count
  }

  // ---- search ----------------------------------------------------------------------------------

  /** Parses the filter, checks CLOSED and the parameters, in the binding's order. */
  private prepare(k: number, threshold: number | null | undefined, filterJson: string | null | undefined): { rows: Rows; p: Search } {
    const filter = filterJson === null || filterJson === undefined ? undefined : parseFilter(filterJson)
    const rows = this.open()
    if (!(k >= 1)) throw coreError(ErrorCode.INVALID_ARGUMENT, 'limit must be a positive integer')
    const t = threshold ?? undefined
    if (t !== undefined && !Number.isFinite(t)) throw coreError(ErrorCode.INVALID_ARGUMENT, 'threshold must be a finite number')
    return { rows, p: { k, threshold: t, filter } }
  }

  /** Checks every query; returns ‖q‖² for each. */
  private checkQueries(qs: Float32Array, single: boolean): Float64Array {
    const dim = this.dim
    if (single && qs.length !== dim) {
      throw coreError(ErrorCode.DIMENSION_MISMATCH, `query has dimension ${qs.length}, the store holds dimension ${dim}`)
    }
    if (qs.length % dim !== 0) {
      throw coreError(ErrorCode.DIMENSION_MISMATCH, `${qs.length} query floats are not a multiple of dimension ${dim}`)
    }
    const n = qs.length / dim
    const sq = new Float64Array(n)
    for (let i = 0; i < n; i++) sq[i] = checkVector(qs, i * dim, dim, this.metric, single ? 'query' : `query ${i}`)
    return sq
  }

  /** Offers rows `start..end` to each query's top-k. */
  private scan(rows: Rows, qs: Float32Array[], qSq: Float64Array, tops: TopK[], start: number, end: number, filter: FilterNode | undefined): void {
    const { data, invNorms, metadata } = rows
    const dim = this.dim
    const metric = this.metric
    const qInv = Array.from(qSq, inverseNorm)
    const float32 = Array.from(qSq, (sq) => needsFloat32Kernel(sq, rows.maxNorm))
    for (let s = start; s < end; s++) {
      if (filter && !matches(filter, metadata[s])) continue
      for (let j = 0; j < qs.length; j++) tops[j].push(rowKey(metric, qs[j], data, s, dim, qInv[j], invNorms[s], float32[j]), s)
    }
  }

  /** `Collection::finish`: kept candidates as hits, then the threshold. */
  private finish(rows: Rows, top: TopK, threshold: number | undefined): NativeHit[] {
    const hits: NativeHit[] = []
    for (const c of top.sorted()) {
      const { similarity, distance } = scoresFromKey(this.metric, c.key)
      if (threshold !== undefined && !(similarity >= threshold)) continue
      const metadata = metadataToJson(rows.metadata[c.slot])
      const id = rows.ids[c.slot]
      hits.push(metadata === undefined ? { id, similarity, distance } : { id, similarity, distance, metadata })
    }
    return hits
  }

  private splitQueries(qs: Float32Array): Float32Array[] {
    const out: Float32Array[] = []
    for (let at = 0; at < qs.length; at += this.dim) out.push(qs.subarray(at, at + this.dim))
    return out
  }

  private searchNow(rows: Rows, qs: Float32Array[], qSq: Float64Array, p: Search): NativeHit[][] {
    const tops = qs.map(() => new TopK(p.k, rows.ids))
    this.scan(rows, qs, qSq, tops, 0, rows.count, p.filter)
    return tops.map((t) => this.finish(rows, t, p.threshold))
  }

  /**
   * The scan in chunks with a turn of the event loop between them. A write that lands meanwhile
   * (only possible without the TypeScript layer's gate) restarts the scan on the new contents, in
   * one go: the result is then that of a search made just after the write. A `close` meanwhile lets
   * the scan finish, as the native close waits for a running search.
   */
  private async searchChunked(rows: Rows, qs: Float32Array[], qSq: Float64Array, p: Search): Promise<NativeHit[][]> {
    const version = rows.version
    const tops = qs.map(() => new TopK(p.k, rows.ids))
    const step = Math.max(1, Math.floor(CHUNK_FLOATS / (this.dim * qs.length)))
    const n = rows.count
    for (let start = 0; start < n; start += step) {
      if (start > 0) {
        await yieldToLoop()
        if (rows.version !== version) return this.searchNow(rows, qs, qSq, p)
      }
      this.scan(rows, qs, qSq, tops, start, Math.min(n, start + step), p.filter)
    }
    return tops.map((t) => this.finish(rows, t, p.threshold))
  }

  search(query: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[] {
    const { rows, p } = this.prepare(k, threshold, filterJson)
    const qSq = this.checkQueries(query, true)
    return this.searchNow(rows, [query], qSq, p)[0]
  }

  async searchAsync(query: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[]> {
    await yieldToLoop()
    const { rows, p } = this.prepare(k, threshold, filterJson)
    const qSq = this.checkQueries(query, true)
    return (await this.searchChunked(rows, [query], qSq, p))[0]
  }

  searchBatch(queries: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[][] {
    const { rows, p } = this.prepare(k, threshold, filterJson)
    const qSq = this.checkQueries(queries, false)
    return this.searchNow(rows, this.splitQueries(queries), qSq, p)
  }

  async searchBatchAsync(queries: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[][]> {
    await yieldToLoop()
    const { rows, p } = this.prepare(k, threshold, filterJson)
    const qSq = this.checkQueries(queries, false)
    if (qSq.length === 0) return []
    return this.searchChunked(rows, this.splitQueries(queries), qSq, p)
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Nothing to make durable in memory. */
  async syncAsync(): Promise<void> {}

  /** Nothing to compact in memory (but a closed store says so, as native does). */
  compact(): void {
    this.open()
  }

  /** Frees the rows; every later call fails with CLOSED. Idempotent. */
  close(): void {
    this.rows = null
  }
}

/** Prefixes the message of a core error, keeping its code (`CODE: prefix message`). */
function relabel(e: unknown, prefix: string): Error {
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec((e as Error).message)
  return m ? new Error(`${m[1]}: ${prefix}${m[2]}`) : (e as Error)
}
