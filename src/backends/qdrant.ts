/**
 * The Qdrant tier: the protocol over a Qdrant collection through `@qdrant/js-client-rest` (an
 * optional peer dependency, loaded on first use). Validation happens here before any request, so a
 * bad call changes nothing; filters run inside Qdrant (before truncation); ties are re-ordered here
 * by id, because Qdrant breaks them by its own point ids.
 */
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest'
import { normalizeBatch } from '../batch'
import { Embedding } from '../embedding'
import { ErrorCode, VgentError } from '../errors'
import { ReadWriteGate } from '../gate'
import { checkMetric } from '../metric'
import type { QdrantClientLike } from '../peer-types'
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
import { checkDimension, checkId, checkMetadata, checkSearchOptions, toFloat32 } from '../validate'
import { flattenQueries } from './native-store'
import { createClient, fromQdrant } from './qdrant/client'
import { checkIndexes, ensureCollection } from './qdrant/collection'
import { toQdrantFilter } from './qdrant/filter'
import { pointIdFor } from './qdrant/ids'
import { RESULT_PAYLOAD, idOf, metadataOf, rawVectorOf, toPayload } from './qdrant/payload'
import type { PayloadIndexType, QdrantProbe } from './qdrant/options'
import { probeQdrant } from './qdrant/probe'
import { fromQdrantScore } from './qdrant/scores'

export { pointIdFor as qdrantPointId, POINT_ID_NAMESPACE as QDRANT_POINT_ID_NAMESPACE } from './qdrant/ids'
export type { PayloadIndexType, QdrantProbe } from './qdrant/options'

export interface QdrantBackendOptions {
  /** Default `$KGENTS_QDRANT_URL`, else `http://localhost:6333`. */
  url?: string
  /** Default `$KGENTS_QDRANT_API_KEY`. */
  apiKey?: string
  /** Default `vgent_<namespace>`. */
  collection?: string
  /** Default `default`. Letters, digits, `_`, `-` and `.`. */
  namespace?: string
  dimension: number
  metric?: DistanceMetric
  /**
   * A ready client: a QdrantClient (or anything with these methods). Its own URL and key then apply;
   * `url` only names it in messages.
   */
  client?: QdrantClientLike
  /** Payload indexes on metadata keys, created if missing: speed up filters on big collections. */
  indexes?: Record<string, PayloadIndexType>
  /** Exact (brute-force) search instead of Qdrant's HNSW index. Default false. */
  exact?: boolean
  /** Per-request timeout of a client vgent creates, in ms. Default 30 000. */
  timeoutMs?: number
}

const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const COLLECTION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/
/** Points per upsert request: bounded so one request stays a few MB of JSON. */
const MAX_POINTS_PER_UPSERT = 1000
const FLOATS_PER_UPSERT = 1 << 18
/** Queries per batch request. */
const QUERIES_PER_REQUEST = 64
/** Extra hits fetched beyond the limit, so that a tie at the cut can be ordered by id here. */
const TIE_SLACK = 8
/** Above this many hits, the fetch size is first capped by the collection's size. */
const LARGE_FETCH = 10_000

type Point = { id: string | number; payload?: Record<string, unknown> | null; vector?: unknown; score?: number }

/**
 * A user's client is typed by its members (QdrantClientLike) so that the public types need no
 * @qdrant/js-client-rest; inside, it is used as the QdrantClient it is (or something that answers
 * the same calls).
 */
function givenClient(client: QdrantClientLike | undefined): QdrantClient | undefined {
  return client as QdrantClient | undefined
}

/** Protocol order: similarity descending, ties by id in UTF-8 byte order. */
function byRank(a: SearchResult, b: SearchResult): number {
  if (a.similarity !== b.similarity) return b.similarity - a.similarity
  return a.id === b.id ? 0 : Buffer.compare(Buffer.from(a.id, 'utf8'), Buffer.from(b.id, 'utf8'))
}

export class QdrantVectorBackend implements VgentProtocol {
  private readonly gate = new ReadWriteGate()
  private closed = false

  private constructor(
    readonly dimension: number,
    readonly metric: DistanceMetric,
    readonly collection: string,
    readonly url: string,
    private readonly client: QdrantClient,
    private readonly exact: boolean,
  ) {}

  static async open(opts: QdrantBackendOptions): Promise<QdrantVectorBackend> {
    if (typeof opts !== 'object' || opts === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'QdrantVectorBackend.open needs options { dimension, metric?, url?, apiKey?, collection?, namespace? }')
    }
    const dimension = checkDimension(opts.dimension)
    const metric = checkMetric(opts.metric ?? 'cosine')
    const namespace = opts.namespace ?? 'default'
    if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `namespace ${JSON.stringify(namespace)} must match ${NAMESPACE}`)
    }
    const collection = opts.collection ?? `vgent_${namespace}`
    if (typeof collection !== 'string' || !COLLECTION.test(collection)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `collection ${JSON.stringify(collection)} must match ${COLLECTION}`)
    }
    const indexes = checkIndexes(opts.indexes)
    const timeoutMs = opts.timeoutMs ?? 30_000
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `timeoutMs must be a positive number, got ${String(timeoutMs)}`)
    }
    const url = opts.url ?? process.env.KGENTS_QDRANT_URL ?? 'http://localhost:6333'
    const apiKey = opts.apiKey ?? (process.env.KGENTS_QDRANT_API_KEY || undefined)
    const client = givenClient(opts.client) ?? createClient(url, apiKey, timeoutMs)
    const where = opts.client && opts.url === undefined ? 'the given client' : url
    await ensureCollection(client, { name: collection, dimension, metric, indexes }, where)
    return new QdrantVectorBackend(dimension, metric, collection, where, client, opts.exact === true)
  }

  /** Health, version and round-trip time of a Qdrant server, without opening a collection. */
  static async probe(opts: { url?: string; apiKey?: string; client?: QdrantClientLike; timeoutMs?: number } = {}): Promise<QdrantProbe> {
    const url = opts.url ?? process.env.KGENTS_QDRANT_URL ?? 'http://localhost:6333'
    const timeoutMs = opts.timeoutMs ?? 2000
    const apiKey = opts.apiKey ?? (process.env.KGENTS_QDRANT_API_KEY || undefined)
    return probeQdrant(() => givenClient(opts.client) ?? createClient(url, apiKey, timeoutMs), url, timeoutMs)
  }

  /** Health, version and round-trip time of this store's server; never throws. */
  async probe(timeoutMs = 2000): Promise<QdrantProbe> {
    return probeQdrant(() => this.client, this.url, timeoutMs)
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the store is closed')
  }

  /** Runs `body` through the gate after the closed check. */
  private async op<T>(write: boolean, body: () => Promise<T>): Promise<T> {
    this.checkOpen()
    return this.gate.run(write, async () => {
      this.checkOpen()
      return body()
    })
  }

  /** One client call, its failure converted. */
  private async call<T>(what: string, f: (c: QdrantClient) => Promise<T>): Promise<T> {
    try {
      return await f(this.client)
    } catch (e) {
      throw fromQdrant(e, what, this.url)
    }
  }

  /** Qdrant stores float32 and cannot score NaN or ±Infinity; cosine cannot score a zero vector. */
  private checkFinite(v: Float32Array, where: string): void {
    let zero = true
    for (let i = 0; i < v.length; i++) {
      const x = v[i]
      if (!Number.isFinite(x)) {
        throw new VgentError(ErrorCode.INVALID_VECTOR, `${where}[${i}] is ${x} as float32: every value must be finite`)
      }
      if (x !== 0) zero = false
    }
    if (zero && this.metric === 'cosine') {
      throw new VgentError(ErrorCode.INVALID_VECTOR, `${where} is a zero vector: cosine is undefined for it`)
    }
  }

  private point(id: string, vector: Float32Array, metadata: Metadata): Schemas['PointStruct'] {
    const raw = this.metric === 'cosine' ? vector : undefined
    return { id: pointIdFor(id), vector: Array.from(vector), payload: toPayload(id, metadata, raw) }
  }

  private async upsert(points: Schemas['PointStruct'][]): Promise<void> {
    const perRequest = Math.max(1, Math.min(MAX_POINTS_PER_UPSERT, Math.floor(FLOATS_PER_UPSERT / this.dimension)))
    for (let i = 0; i < points.length; i += perRequest) {
      const chunk = points.slice(i, i + perRequest)
      // wait: true, or Qdrant acknowledges before applying and drops a bad point silently.
      await this.call('upserting points', (c) => c.upsert(this.collection, { wait: true, points: chunk }))
    }
  }

  private async retrieve(id: string, withVector: boolean): Promise<Point | undefined> {
    const points = (await this.call('retrieving a point', (c) =>
      c.retrieve(this.collection, { ids: [pointIdFor(id)], with_payload: true, with_vector: withVector }),
    )) as Point[]
    // A foreign point under the same UUID (or a hash collision) is not this id.
    return points.find((p) => idOf(p) === id)
  }

  // ---- writes -----------------------------------------------------------------------------------

  async add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string> {
    this.checkOpen()
    checkId(id)
    const v = toFloat32(vector, this.dimension)
    this.checkFinite(v, 'vector')
    const md = checkMetadata(metadata)
    const point = this.point(id, v, md)
    await this.op(true, () => this.upsert([point]))
    return id
  }

  async addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]> {
    this.checkOpen()
    const batch = normalizeBatch(entries, this.dimension)
    const d = this.dimension
    const rows = batch.ids.map((_, i) => batch.vectors.subarray(i * d, (i + 1) * d))
    rows.forEach((row, i) => this.checkFinite(row, `entry ${i} (id ${JSON.stringify(batch.ids[i])}): vector`))
    // Duplicate ids: the last one wins, decided here rather than left to the server.
    const last = new Map<string, number>()
    batch.ids.forEach((id, i) => last.set(id, i))
    const points = [...last.values()].sort((a, b) => a - b).map((i) => this.point(batch.ids[i], rows[i], batch.metadata?.[i] ?? {}))
    if (points.length > 0) await this.op(true, () => this.upsert(points))
    return batch.ids
  }

  async remove(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    return this.op(true, async () => {
      if (!(await this.retrieve(id, false))) return false
      await this.call('deleting a point', (c) => c.delete(this.collection, { wait: true, points: [pointIdFor(id)] }))
      return true
    })
  }

  async clear(): Promise<number> {
    return this.op(true, async () => {
      const n = await this.countNow()
      if (n > 0) await this.call('deleting all points', (c) => c.delete(this.collection, { wait: true, filter: {} }))
      return n
    })
  }

  // ---- reads ------------------------------------------------------------------------------------

  async get(id: string): Promise<VectorEntry | null> {
    this.checkOpen()
    checkId(id)
    const cosine = this.metric === 'cosine'
    return this.op(false, async () => {
      const p = await this.retrieve(id, !cosine)
      if (!p) return null
      // Cosine collections hold normalised vectors: the vector as added is in the payload.
      const vector = rawVectorOf(p.payload) ?? (Array.isArray(p.vector) ? Float32Array.from(p.vector as number[]) : undefined)
      if (!vector || vector.length !== this.dimension) {
        throw new VgentError(ErrorCode.STORE_CORRUPT, `point ${pointIdFor(id)} (id ${JSON.stringify(id)}) has no readable vector of dimension ${this.dimension}`)
      }
      return { id, embedding: new Embedding(vector), metadata: metadataOf(p.payload) }
    })
  }

  /** Streams every point (scroll pages), for export and promotion. */
  async *exportEntries(options: { batchSize?: number } = {}): AsyncIterable<ExportBatch> {
    const batchSize = options.batchSize ?? 1000
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `batchSize must be a positive integer, got ${String(batchSize)}`)
    const cosine = this.metric === 'cosine'
    let offset: string | number | undefined
    for (;;) {
      this.checkOpen()
      const page = (await this.call('scrolling points', (c) =>
        c.scroll(this.collection, { limit: batchSize, offset, with_payload: true, with_vector: !cosine }),
      )) as { points: Point[]; next_page_offset?: string | number | null }
      const ids: string[] = []
      const vectors = new Float32Array(page.points.length * this.dimension)
      const metadata: Metadata[] = []
      for (const p of page.points) {
        const vector = rawVectorOf(p.payload) ?? (Array.isArray(p.vector) ? Float32Array.from(p.vector as number[]) : undefined)
        if (!vector || vector.length !== this.dimension) throw new VgentError(ErrorCode.STORE_CORRUPT, `point ${String(p.id)} has no readable vector of dimension ${this.dimension}`)
        vectors.set(vector, ids.length * this.dimension)
        ids.push(idOf(p))
        metadata.push(metadataOf(p.payload))
      }
      if (ids.length > 0) yield { ids, vectors: vectors.subarray(0, ids.length * this.dimension), metadata }
      if (page.next_page_offset === null || page.next_page_offset === undefined) return
      offset = page.next_page_offset
    }
  }

  async exists(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    return this.op(false, async () => (await this.retrieve(id, false)) !== undefined)
  }

  async count(): Promise<number> {
    return this.op(false, () => this.countNow())
  }

  private async countNow(): Promise<number> {
    const r = await this.call('counting points', (c) => c.count(this.collection, { exact: true }))
    return r.count
  }

  async search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]> {
    this.checkOpen()
    const q = toFloat32(query, this.dimension, 'query')
    this.checkFinite(q, 'query')
    const o = checkSearchOptions(options)
    const filter = o.filter ? toQdrantFilter(o.filter) : undefined
    return this.op(false, async () => (await this.searchMany([q], o.limit, o.threshold, filter))[0])
  }

  async searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]> {
    this.checkOpen()
    const flat = flattenQueries(queries, this.dimension)
    const d = this.dimension
    const qs = Array.from({ length: flat.length / d }, (_, i) => flat.subarray(i * d, (i + 1) * d))
    qs.forEach((q, i) => this.checkFinite(q, `query ${i}`))
    const o = checkSearchOptions(options)
    const filter = o.filter ? toQdrantFilter(o.filter) : undefined
    if (qs.length === 0) return this.op(false, async () => [])
    return this.op(false, () => this.searchMany(qs, o.limit, o.threshold, filter))
  }

  /**
   * Each query fetches a few hits beyond the limit; when the hits tied with the last kept one may
   * continue past what was fetched, that query is fetched again with twice as many, until the tie
   * group at the cut is complete. Then: order, threshold, truncate.
   */
  private async searchMany(
    qs: Float32Array[],
    limit: number,
    threshold: number | undefined,
    filter: Schemas['Filter'] | undefined,
  ): Promise<SearchResult[][]> {
    let fetch = limit + TIE_SLACK
    if (fetch > LARGE_FETCH) fetch = Math.min(fetch, (await this.countNow()) + 1)
    const request = (q: Float32Array, n: number): Schemas['QueryRequest'] => ({
      query: Array.from(q),
      filter,
      limit: n,
      with_payload: RESULT_PAYLOAD,
      with_vector: false,
      ...(this.exact ? { params: { exact: true } } : {}),
    })
    const out: SearchResult[][] = []
    for (let start = 0; start < qs.length; start += QUERIES_PER_REQUEST) {
      const chunk = qs.slice(start, start + QUERIES_PER_REQUEST)
      const responses = await this.call('searching', (c) =>
        chunk.length === 1
          ? c.query(this.collection, request(chunk[0], fetch)).then((r) => [r])
          : c.queryBatch(this.collection, { searches: chunk.map((q) => request(q, fetch)) }),
      )
      for (const [i, q] of chunk.entries()) {
        let n = fetch
        let hits = this.toResults(responses[i].points as Point[])
        while (!tieGroupComplete(hits, n, limit, threshold)) {
          n *= 2
          const r = await this.call('searching', (c) => c.query(this.collection, request(q, n)))
          hits = this.toResults(r.points as Point[])
        }
        out.push(finish(hits, limit, threshold))
      }
    }
    return out
  }

  private toResults(points: Point[]): SearchResult[] {
    return points
      .map((p) => ({ id: idOf(p), ...fromQdrantScore(this.metric, p.score ?? NaN), metadata: metadataOf(p.payload) }))
      .sort(byRank)
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.gate.run(true, async () => {
      this.closed = true
    })
  }
}

/** Whether every hit that could rank within `limit` was fetched (`hits` is ordered). */
function tieGroupComplete(hits: SearchResult[], fetched: number, limit: number, threshold: number | undefined): boolean {
  if (hits.length < fetched) return true // Qdrant had no more
  const cut = hits[Math.min(limit, hits.length) - 1].similarity
  const lowest = hits[hits.length - 1].similarity
  return lowest < cut || (threshold !== undefined && lowest < threshold)
}

function finish(hits: SearchResult[], limit: number, threshold: number | undefined): SearchResult[] {
  const kept = threshold === undefined ? hits : hits.filter((h) => h.similarity >= threshold)
  return kept.slice(0, limit)
}
