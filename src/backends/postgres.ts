/**
 * The Postgres + pgvector tier: one table per namespace (`vgent_<namespace>`), searched with the
 * metric's pgvector operator. With an index (HNSW by default) searches are approximate; with
 * `index: 'none'` they are exact and match the local tiers result for result.
 *
 * Filtered searches return `limit` rows whenever that many match: pgvector ≥ 0.8 continues its index
 * scan until enough rows pass the filter (iterative scans), and when the index path still comes back
 * short (older pgvector, or a very selective filter) the search is re-run as an exact scan.
 */
import type * as Pg from 'pg'
import { normalizeBatch } from '../batch'
import { Embedding } from '../embedding'
import { ErrorCode, VgentError } from '../errors'
import { checkMetric } from '../metric'
import type { PgPoolLike } from '../peer-types'
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
import { type CheckedSearch, checkDimension, checkId, checkMetadata, checkSearchOptions, toFloat32 } from '../validate'
import { flattenQueries } from './native-store'
import { type PgModules, fromPg, isConnectionError, loadPg } from './postgres/driver'
import { MAX_VECTOR_DIMS, METRIC_SQL, type MetricSql, versionAtLeast } from './postgres/metric-sql'
import type { HnswOptions, IndexPlan, PostgresProbe, PostgresProbeOptions } from './postgres/options'
import { probePostgres } from './postgres/probe'
import { checkHnsw, checkNamespace, ensureTable, planIndex } from './postgres/schema'
import { SqlParams, quoteIdent } from './postgres/sql-params'
import { filterToSql } from './postgres/sql-filter'

export type { HnswOptions, IndexPlan, PostgresProbe, PostgresProbeOptions } from './postgres/options'

export interface PostgresBackendOptions {
  /** Connection string; default `$KGENTS_POSTGRES_URL`. Ignored when `pool` is given. */
  url?: string
  /** Default `default`; the table is `vgent_<namespace>`. 1–48 of a-z, 0-9, _. */
  namespace?: string
  dimension: number
  metric?: DistanceMetric
  /** Share an existing pool: a pg.Pool (or anything with these methods). The store then leaves it open on close(). */
  pool?: PgPoolLike
  /** Default `hnsw` (approximate). `none`: exact scans. IVFFlat recall is poor when built on an empty table. */
  index?: 'hnsw' | 'ivfflat' | 'none'
  hnsw?: HnswOptions
  /** Connection timeout of the pool this store creates; default 10,000 ms. */
  connectTimeoutMs?: number
}

/** Rows per INSERT statement in addBatch: about 8 MB of vector text per statement. */
function rowsPerStatement(dimension: number): number {
  return Math.max(1, Math.min(10_000, Math.floor(8_000_000 / (dimension * 20))))
}

/**
 * The search settings each pooled connection currently has, so they are sent once per connection.
 * Module-wide: stores sharing a pool share its connections.
 */
const sessionSettings = new WeakMap<Pg.PoolClient, string>()

/** IVFFlat lists probed per search (of 100). */
const IVFFLAT_PROBES = 10

interface Row {
  id: string
  metadata: Metadata
  d: number
}

/** Postgres text and jsonb cannot hold U+0000: refuse it up front with the input's own error code. */
function checkNoNul(id: string, metadata: Metadata | undefined, where: string): void {
  if (id.includes('\0')) throw new VgentError(ErrorCode.INVALID_ID, `${where}id contains U+0000, which Postgres text cannot store`)
  if (!metadata) return
  for (const [key, value] of Object.entries(metadata)) {
    const values = Array.isArray(value) ? value : [value]
    if (key.includes('\0') || values.some((v) => typeof v === 'string' && v.includes('\0'))) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where}metadata.${key} contains U+0000, which Postgres jsonb cannot store`)
    }
  }
}

/** Byte order of UTF-8, which is how the local tiers and `COLLATE "C"` order ids. */
function compareIds(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

export class PostgresVectorBackend implements VgentProtocol {
  private closed = false
  private readonly inflight = new Set<Promise<unknown>>()
  private readonly sql: MetricSql
  private readonly table: string

  private constructor(
    readonly dimension: number,
    readonly metric: DistanceMetric,
    readonly namespace: string,
    /** The index this store searches with; `note` says why it differs from what was asked, if it does. */
    readonly index: IndexPlan,
    /** pgvector's version on the server. */
    readonly extensionVersion: string,
    private readonly pool: Pg.Pool,
    private readonly ownsPool: boolean,
    private readonly efSearch: number,
    private readonly mods: PgModules,
  ) {
    this.sql = METRIC_SQL[metric]
    this.table = quoteIdent(`vgent_${namespace}`)
  }

  static async open(opts: PostgresBackendOptions): Promise<PostgresVectorBackend> {
    if (typeof opts !== 'object' || opts === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'PostgresVectorBackend.open needs options { dimension, url?, namespace?, metric?, pool?, index? }')
    }
    const dimension = checkDimension(opts.dimension)
    if (dimension > MAX_VECTOR_DIMS) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `pgvector's vector type holds at most ${MAX_VECTOR_DIMS} dimensions, got ${dimension}`)
    }
    const metric = checkMetric(opts.metric ?? 'cosine')
    const namespace = checkNamespace(opts.namespace ?? 'default')
    const plan = planIndex(opts.index ?? 'hnsw', dimension, metric)
    const hnsw = checkHnsw(opts.hnsw)
    const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000
    if (typeof connectTimeoutMs !== 'number' || !(connectTimeoutMs > 0)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `connectTimeoutMs must be a positive number, got ${String(connectTimeoutMs)}`)
    }
    const mods = loadPg()
    // A given pool is typed by its members (PgPoolLike) so that the public types need no pg; from
    // here on it is used as the pg.Pool it is (or something that answers the same calls).
    let pool = opts.pool as Pg.Pool | undefined
    const ownsPool = pool === undefined
    if (!pool) {
      const url = opts.url ?? process.env.KGENTS_POSTGRES_URL
      if (typeof url !== 'string' || url === '') {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'PostgresVectorBackend.open needs a url (or $KGENTS_POSTGRES_URL, or a pool)')
      }
      pool = new mods.pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: connectTimeoutMs })
      // An idle connection that dies (server restart) is dropped by the pool; without a listener the
      // 'error' event would crash the process.
      pool.on('error', () => {})
    }
    try {
      const { extensionVersion } = await ensureTable(pool, `vgent_${namespace}`, dimension, metric, plan, hnsw)
      return new PostgresVectorBackend(dimension, metric, namespace, plan, extensionVersion, pool, ownsPool, hnsw.efSearch, mods)
    } catch (e) {
      if (ownsPool) await pool.end().catch(() => {})
      throw e
    }
  }

  /** Connects with a timeout, checks pgvector and its version, and reports latency. Never throws for an unreachable server. */
  static probe(opts: PostgresProbeOptions = {}): Promise<PostgresProbe> {
    return probePostgres(opts)
  }

  /** Probes this store's own pool. */
  probe(timeoutMs?: number): Promise<PostgresProbe> {
    return probePostgres({ pool: this.pool, timeoutMs })
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the store is closed')
  }

  /** Tracks the call so that close() waits for it; maps pg errors. */
  private async run<T>(what: string, body: () => Promise<T>): Promise<T> {
    this.checkOpen()
    const p = body()
    this.inflight.add(p)
    try {
      return await p
    } catch (e) {
      throw fromPg(e, what)
    } finally {
      this.inflight.delete(p)
    }
  }

  /** Runs `body` on one pooled connection; a connection that failed is destroyed, not reused. */
  private async withClient<T>(body: (client: Pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    // A connection that dies between two statements emits 'error' on the checked-out client; the
    // next statement then fails and is reported, but the event itself must not crash the process.
    let lost: Error | undefined
    const onError = (e: Error) => {
      lost = e
    }
    client.on('error', onError)
    let failure: unknown
    try {
      return await body(client)
    } catch (e) {
      failure = e
      throw e
    } finally {
      client.off('error', onError)
      client.release(lost ?? (isConnectionError(failure) ? (failure as Error) : undefined))
    }
  }

  /** A checked vector as pgvector text; non-finite values and cosine zero vectors are refused here. */
  private vectorText(v: Float32Array, where: string): string {
    let nonZero = false
    for (let i = 0; i < v.length; i++) {
      const x = v[i]
      if (!Number.isFinite(x)) {
        throw new VgentError(ErrorCode.INVALID_VECTOR, `${where}[${i}] is ${x}: vectors must be finite float32 values`)
      }
      if (x !== 0) nonZero = true
    }
    if (!nonZero && this.metric === 'cosine') {
      throw new VgentError(ErrorCode.INVALID_VECTOR, `${where} is a zero vector: cosine is undefined for it`)
    }
    return this.mods.pgvector.toSql(Array.from(v))
  }

  // ---- writes ------------------------------------------------------------------------------

  private upsertSql(): string {
    return `ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata, updated_at = now()`
  }

  async add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string> {
    this.checkOpen()
    checkId(id)
    const text = this.vectorText(toFloat32(vector, this.dimension), 'vector')
    const checked = checkMetadata(metadata)
    checkNoNul(id, checked, '')
    const md = JSON.stringify(checked)
    await this.run('add', () =>
      this.pool.query(`INSERT INTO ${this.table} (id, embedding, metadata) VALUES ($1, $2::vector, $3::jsonb) ${this.upsertSql()}`, [id, text, md]),
    )
    return id
  }

  async addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]> {
    this.checkOpen()
    const batch = normalizeBatch(entries, this.dimension)
    const dim = this.dimension
    // ON CONFLICT cannot touch one row twice in a statement: keep each id's last entry.
    const last = new Map<string, number>()
    batch.ids.forEach((id, i) => last.set(id, i))
    const ids: string[] = []
    const vectors: string[] = []
    const metadata: string[] = []
    batch.ids.forEach((id, i) => checkNoNul(id, batch.metadata?.[i], `entry ${i}: `))
    for (const [id, i] of last) {
      ids.push(id)
      vectors.push(this.vectorText(batch.vectors.subarray(i * dim, (i + 1) * dim), `entry ${i} (id ${JSON.stringify(id)}): vector`))
      metadata.push(batch.metadata ? JSON.stringify(batch.metadata[i]) : '{}')
    }
    if (ids.length === 0) return batch.ids
    const insert = `INSERT INTO ${this.table} (id, embedding, metadata)
      SELECT * FROM unnest($1::text[], $2::vector[], $3::jsonb[]) ${this.upsertSql()}`
    const step = rowsPerStatement(dim)
    await this.run('addBatch', () =>
      this.withClient(async (client) => {
        if (ids.length <= step) {
          await client.query(insert, [ids, vectors, metadata]) // one statement is atomic by itself
          return
        }
        await client.query('BEGIN')
        try {
          for (let s = 0; s < ids.length; s += step) {
            await client.query(insert, [ids.slice(s, s + step), vectors.slice(s, s + step), metadata.slice(s, s + step)])
          }
          await client.query('COMMIT')
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {})
          throw e
        }
      }),
    )
    return batch.ids
  }

  async remove(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    if (id.includes('\0')) return false // never storable, so never stored
    const r = await this.run('remove', () => this.pool.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]))
    return (r.rowCount ?? 0) > 0
  }

  async clear(): Promise<number> {
    const r = await this.run('clear', () => this.pool.query(`DELETE FROM ${this.table}`))
    return r.rowCount ?? 0
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(id: string): Promise<VectorEntry | null> {
    this.checkOpen()
    checkId(id)
    if (id.includes('\0')) return null
    const r = await this.run('get', () =>
      this.pool.query<{ embedding: string; metadata: Metadata }>(`SELECT embedding::text AS embedding, metadata FROM ${this.table} WHERE id = $1`, [id]),
    )
    if (r.rows.length === 0) return null
    const row = r.rows[0]
    return { id, embedding: new Embedding(Float32Array.from(this.mods.pgvector.fromSql(row.embedding))), metadata: row.metadata }
  }

  /** Streams every row in id order (keyset pages), for export and promotion. */
  async *exportEntries(options: { batchSize?: number } = {}): AsyncIterable<ExportBatch> {
    const batchSize = options.batchSize ?? 10_000
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `batchSize must be a positive integer, got ${String(batchSize)}`)
    let after: string | null = null
    for (;;) {
      this.checkOpen()
      const page: { rows: { id: string; embedding: string; metadata: Metadata }[] } = await this.run('export', () =>
        this.pool.query<{ id: string; embedding: string; metadata: Metadata }>(
          `SELECT id, embedding::text AS embedding, metadata FROM ${this.table} WHERE $1::text IS NULL OR id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`,
          [after, batchSize],
        ),
      )
      if (page.rows.length === 0) return
      const vectors = new Float32Array(page.rows.length * this.dimension)
      page.rows.forEach((row, i) => vectors.set(this.mods.pgvector.fromSql(row.embedding) as number[], i * this.dimension))
      yield { ids: page.rows.map((r) => r.id), vectors, metadata: page.rows.map((r) => r.metadata ?? {}) }
      after = page.rows[page.rows.length - 1].id
    }
  }

  async count(): Promise<number> {
    const r = await this.run('count', () => this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`))
    return Number(r.rows[0].n)
  }

  async exists(id: string): Promise<boolean> {
    this.checkOpen()
    checkId(id)
    if (id.includes('\0')) return false
    const r = await this.run('exists', () => this.pool.query(`SELECT 1 FROM ${this.table} WHERE id = $1`, [id]))
    return r.rows.length > 0
  }

  async search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]> {
    this.checkOpen()
    const q = this.vectorText(toFloat32(query, this.dimension, 'query'), 'query')
    const o = checkSearchOptions(options)
    return this.run('search', () => this.searchOne(q, o))
  }

  async searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]> {
    this.checkOpen()
    const flat = flattenQueries(queries, this.dimension)
    const dim = this.dimension
    const texts: string[] = []
    for (let i = 0; i < flat.length / dim; i++) texts.push(this.vectorText(flat.subarray(i * dim, (i + 1) * dim), `query ${i}`))
    const o = checkSearchOptions(options)
    // The pool bounds how many run at once.
    return this.run('searchBatch', () => Promise.all(texts.map((q) => this.searchOne(q, o))))
  }

  private async searchOne(q: string, o: CheckedSearch): Promise<SearchResult[]> {
    let rows: Row[] | undefined
    if (this.index.kind !== 'none') {
      // One row more than asked: it shows whether a tie straddles the cut, which an index scan
      // (ordering by distance alone) would settle arbitrarily rather than by id.
      rows = await this.withClient((client) => this.indexedSearch(client, q, o.limit + 1, o))
      // IVFFlat's iterative scan (relaxed order) and halfvec indexes return rows only roughly in order
      // of the full-precision distance: order them before deciding which row falls at the cut.
      rows.sort((a, b) => a.d - b.d || compareIds(a.id, b.id))
      if (rows.length <= o.limit) {
        // Short of `limit`: fewer rows match, or the index scan gave up early. Only an exact scan can tell.
        rows = undefined
      } else if (rows[o.limit].d === rows[o.limit - 1].d) {
        rows = undefined
      } else {
        rows.length = o.limit
      }
    }
    rows ??= await this.exactSearch(q, o)
    const results: SearchResult[] = []
    for (const row of rows) {
      const similarity = this.sql.similarity(row.d)
      if (o.threshold !== undefined && !(similarity >= o.threshold)) continue
      results.push({ id: row.id, similarity, distance: row.d, metadata: row.metadata })
    }
    // Exact scans order by (distance, id) in SQL; index rows were ordered above. Similarity is
    // monotone in distance, so this only re-settles ties by id after the float conversion.
    return results.sort((a, b) => b.similarity - a.similarity || compareIds(a.id, b.id))
  }

  private selectSql(p: SqlParams, q: string, o: CheckedSearch): { vector: string; select: string } {
    const vector = `${p.add(q)}::vector`
    const where = o.filter ? filterToSql(o.filter, 'metadata', p) : 'TRUE'
    return { vector, select: `SELECT id, metadata, embedding ${this.sql.operator} ${vector} AS d FROM ${this.table} WHERE ${where}` }
  }

  /** Every row scored; OFFSET 0 keeps the planner from turning the ORDER BY into an index scan. */
  private async exactSearch(q: string, o: CheckedSearch): Promise<Row[]> {
    const p = new SqlParams()
    const { select } = this.selectSql(p, q, o)
    const r = await this.pool.query<Row>(`SELECT * FROM (${select} OFFSET 0) s ORDER BY d, id LIMIT ${p.add(o.limit)}`, p.values)
    return r.rows
  }

  private async indexedSearch(client: Pg.PoolClient, q: string, limit: number, o: CheckedSearch): Promise<Row[]> {
    await this.applySearchSettings(client, limit)
    const p = new SqlParams()
    const { vector, select } = this.selectSql(p, q, o)
    const order = this.index.halfvec
      ? `embedding::halfvec(${this.dimension}) ${this.sql.operator} (${vector})::halfvec(${this.dimension})`
      : `embedding ${this.sql.operator} ${vector}`
    const r = await client.query<Row>(`${select} ORDER BY ${order} LIMIT ${p.add(limit)}`, p.values)
    return r.rows
  }

  /** Session settings for index scans, sent only when this connection does not have them yet. */
  private async applySearchSettings(client: Pg.PoolClient, limit: number): Promise<void> {
    const iterative = versionAtLeast(this.extensionVersion, [0, 8])
    const settings: [string, string][] =
      this.index.kind === 'hnsw'
        ? [['hnsw.ef_search', String(Math.min(1000, Math.max(this.efSearch, limit)))]]
        : [['ivfflat.probes', String(IVFFLAT_PROBES)]]
    if (iterative) settings.push([`${this.index.kind}.iterative_scan`, this.index.kind === 'hnsw' ? 'strict_order' : 'relaxed_order'])
    const key = JSON.stringify(settings)
    if (sessionSettings.get(client) === key) return
    const p = new SqlParams()
    const calls = settings.map(([name, value]) => `set_config(${p.add(name)}, ${p.add(value)}, false)`)
    await client.query(`SELECT ${calls.join(', ')}`, p.values)
    sessionSettings.set(client, key)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([...this.inflight])
    if (this.ownsPool) await this.pool.end().catch(() => {})
  }
}
