/**
 * One table per namespace, created if missing together with the extension and the vector index.
 * Identifiers come only from a validated namespace and are quoted; integers in DDL are validated
 * numbers (DDL cannot take bind parameters); everything else is a bind parameter.
 */
import type * as Pg from 'pg'
import { ErrorCode, VgentError } from '../../errors'
import type { DistanceMetric } from '../../types'
import { fromPg, isConnectionError } from './driver'
import { MAX_HALFVEC_INDEX_DIMS, MAX_INDEX_DIMS, METRIC_SQL, versionAtLeast } from './metric-sql'
import type { HnswOptions, IndexPlan } from './options'
import { quoteIdent } from './sql-params'

export const NAMESPACE = /^[a-z0-9_]{1,48}$/
/** Lists for an IVFFlat index: pgvector's advice is rows/1000 up to 1M rows; 100 suits the small end. */
export const IVFFLAT_LISTS = 100

export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new VgentError(
      ErrorCode.INVALID_ARGUMENT,
      `namespace ${JSON.stringify(namespace) ?? String(namespace)} must be 1 to 48 characters of a-z, 0-9 and _ (it names the table vgent_<namespace>)`,
    )
  }
  return namespace
}

function intIn(v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${what} must be an integer in ${lo}..${hi}, got ${String(v)}`)
  }
  return v
}

export function checkHnsw(h: HnswOptions | undefined): Required<HnswOptions> {
  if (h !== undefined && (typeof h !== 'object' || h === null)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'hnsw must be an object { m?, efConstruction?, efSearch? }')
  }
  return {
    m: intIn(h?.m ?? 16, 2, 100, 'hnsw.m'),
    efConstruction: intIn(h?.efConstruction ?? 64, 4, 1000, 'hnsw.efConstruction'),
    efSearch: intIn(h?.efSearch ?? 100, 1, 1000, 'hnsw.efSearch'),
  }
}

export function planIndex(requested: unknown, dimension: number, metric: DistanceMetric): IndexPlan {
  if (requested !== 'hnsw' && requested !== 'ivfflat' && requested !== 'none') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `index must be 'hnsw', 'ivfflat' or 'none', got ${JSON.stringify(requested) ?? String(requested)}`)
  }
  if (requested === 'none') return { kind: 'none', halfvec: false }
  if (requested === 'ivfflat' && !METRIC_SQL[metric].ivfflat) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `pgvector's IVFFlat index has no operator class for ${metric}: use index 'hnsw' or 'none'`)
  }
  if (dimension <= MAX_INDEX_DIMS) return { kind: requested, halfvec: false }
  if (dimension <= MAX_HALFVEC_INDEX_DIMS) {
    return {
      kind: requested,
      halfvec: true,
      note: `${dimension} dimensions is above pgvector's ${MAX_INDEX_DIMS}-dimension index limit: the ${requested} index is built over a halfvec (16-bit) expression; results are re-ranked by the full-precision distance`,
    }
  }
  return {
    kind: 'none',
    halfvec: false,
    note: `${dimension} dimensions is above pgvector's index limits (${MAX_INDEX_DIMS}, or ${MAX_HALFVEC_INDEX_DIMS} as halfvec): no index, every search is an exact scan`,
  }
}

export interface TableInfo {
  /** pgvector's installed version, e.g. `0.8.0`. */
  extensionVersion: string
}

/** The table comment marks our tables and records what they hold. */
function tableComment(dimension: number, metric: DistanceMetric): string {
  return `vgent:${JSON.stringify({ dimension, metric })}`
}

async function ensureExtension(client: Pg.PoolClient): Promise<string> {
  const found = await client.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'")
  if (found.rows.length > 0) return found.rows[0].v
  await client.query('SAVEPOINT vgent_extension')
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector')
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT vgent_extension')
    const code = (e as { code?: string }).code
    const db = (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d
    if (code === '42501') {
      throw new VgentError(
        ErrorCode.BACKEND_UNAVAILABLE,
        `the pgvector extension "vector" is not enabled in database ${db}, and this role may not create it: ask a superuser to run CREATE EXTENSION vector`,
        { cause: e },
      )
    }
    if (code === '0A000' || code === '58P01') {
      throw new VgentError(
        ErrorCode.BACKEND_UNAVAILABLE,
        'the server does not have the pgvector extension "vector": install pgvector on the database server (package postgresql-<version>-pgvector, or build it from source)',
        { cause: e },
      )
    }
    throw e
  }
  return (await client.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'")).rows[0].v
}

function indexSql(table: string, plan: IndexPlan, dimension: number, metric: DistanceMetric, hnsw: Required<HnswOptions>): string | undefined {
  if (plan.kind === 'none') return undefined
  const type = plan.halfvec ? 'halfvec' : 'vector'
  const opclass = `${type}_${METRIC_SQL[metric].opclass}`
  const name = quoteIdent(`${table}_${plan.kind}`)
  const target = plan.halfvec ? `((embedding::halfvec(${dimension})) ${opclass})` : `(embedding ${opclass})`
  const using = plan.kind === 'hnsw'
    ? `hnsw ${target} WITH (m = ${hnsw.m}, ef_construction = ${hnsw.efConstruction})`
    : `ivfflat ${target} WITH (lists = ${IVFFLAT_LISTS})`
  return `CREATE INDEX IF NOT EXISTS ${name} ON ${quoteIdent(table)} USING ${using}`
}

/**
 * Creates (or checks) the namespace's table and index in one transaction, serialised across
 * processes by an advisory lock so that concurrent opens do not race on CREATE.
 */
export async function ensureTable(
  pool: Pg.Pool,
  table: string,
  dimension: number,
  metric: DistanceMetric,
  plan: IndexPlan,
  hnsw: Required<HnswOptions>,
): Promise<TableInfo> {
  let client: Pg.PoolClient
  try {
    client = await pool.connect()
  } catch (e) {
    throw fromPg(e, 'connect')
  }
  let broken: unknown
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['vgent:setup'])
    const extensionVersion = await ensureExtension(client)
    const need = METRIC_SQL[metric].minVersion
    if (!versionAtLeast(extensionVersion, need)) {
      throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `metric ${metric} needs pgvector ≥ ${need.join('.')}; the server has ${extensionVersion}`)
    }
    const quoted = quoteIdent(table)
    const existing = await client.query<{ comment: string | null }>(
      "SELECT obj_description(c.oid, 'pg_class') AS comment FROM pg_class c WHERE c.oid = to_regclass($1)",
      [quoted],
    )
    const comment = tableComment(dimension, metric)
    if (existing.rows.length === 0) {
      await client.query(
        `CREATE TABLE ${quoted} (
          id text COLLATE "C" PRIMARY KEY,
          embedding vector(${dimension}) NOT NULL,
          metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      )
      // COMMENT takes no parameters; the text is built from a validated integer and metric name only.
      await client.query(`COMMENT ON TABLE ${quoted} IS '${comment}'`)
    } else if (existing.rows[0].comment !== comment) {
      const held = existing.rows[0].comment?.startsWith('vgent:') ? existing.rows[0].comment.slice(6) : undefined
      throw new VgentError(
        ErrorCode.STORE_MISMATCH,
        held
          ? `table ${table} holds ${held}; it was opened with ${JSON.stringify({ dimension, metric })}`
          : `table ${table} exists but was not created by vgent; choose another namespace`,
      )
    }
    const ddl = indexSql(table, plan, dimension, metric, hnsw)
    if (ddl) await client.query(ddl)
    await client.query('COMMIT')
    return { extensionVersion }
  } catch (e) {
    broken = e
    await client.query('ROLLBACK').catch(() => undefined)
    throw fromPg(e, `open ${table}`)
  } finally {
    // A client whose connection failed is destroyed, not returned to the pool.
    client.release(isConnectionError(broken) ? (broken as Error) : undefined)
  }
}
