/** A quick health check of a Postgres server for the router: reachable, pgvector present, how fast. */
import type * as Pg from 'pg'
import { ErrorCode, VgentError } from '../../errors'
import { fromPg, loadPg } from './driver'
import { versionAtLeast } from './metric-sql'

export interface PostgresProbeOptions {
  /** Default `$KGENTS_POSTGRES_URL`. */
  url?: string
  /** Probe through an existing pool instead of a new connection. */
  pool?: Pg.Pool
  /** Connect + query deadline in milliseconds; default 2000. */
  timeoutMs?: number
}

export interface PostgresProbe {
  /** Reachable, and pgvector is installed or can be installed. */
  ok: boolean
  /** Connect plus one round trip, in milliseconds (also set when the probe failed). */
  latencyMs: number
  /** One query round trip on the open connection, in milliseconds. */
  roundTripMs?: number
  serverVersion?: string
  /** pgvector's installed version in this database, if installed. */
  extensionVersion?: string
  /** The version the server could install, if the extension is available but not installed. */
  extensionAvailable?: string
  /** pgvector ≥ 0.8: filtered index scans continue until `limit` rows are found. */
  iterativeScan?: boolean
  error?: { code: string; message: string }
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

export async function probePostgres(opts: PostgresProbeOptions = {}): Promise<PostgresProbe> {
  const timeoutMs = opts.timeoutMs ?? 2000
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `timeoutMs must be a positive number, got ${String(timeoutMs)}`)
  }
  const { pg } = loadPg()
  const started = performance.now()
  let client: Pg.Client | Pg.PoolClient | undefined
  let release = () => {}
  try {
    if (opts.pool) {
      const pooled = await deadline(opts.pool.connect(), timeoutMs, 'connect')
      client = pooled
      release = () => pooled.release()
    } else {
      const url = opts.url ?? process.env.KGENTS_POSTGRES_URL
      if (!url) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'probe needs a url, a pool, or $KGENTS_POSTGRES_URL')
      const own = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs })
      own.on('error', () => {}) // a late socket error after the probe must not crash the process
      client = own
      release = () => void own.end().catch(() => {})
      await own.connect()
    }
    const q0 = performance.now()
    const { rows } = await deadline(
      client.query<{ server: string; installed: string | null; available: string | null }>(
        `SELECT current_setting('server_version') AS server,
                (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
                (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available`,
      ),
      timeoutMs,
      'probe query',
    )
    const now = performance.now()
    const { server, installed, available } = rows[0]
    const version = installed ?? available ?? undefined
    return {
      ok: version !== undefined,
      latencyMs: now - started,
      roundTripMs: now - q0,
      serverVersion: server,
      extensionVersion: installed ?? undefined,
      extensionAvailable: installed ? undefined : (available ?? undefined),
      iterativeScan: version !== undefined && versionAtLeast(version, [0, 8]),
      ...(version === undefined ? { error: { code: ErrorCode.BACKEND_UNAVAILABLE, message: 'the server does not have the pgvector extension "vector"' } } : {}),
    }
  } catch (e) {
    if (e instanceof VgentError && e.code === ErrorCode.INVALID_ARGUMENT) throw e
    const err = fromPg(e, 'probe')
    return { ok: false, latencyMs: performance.now() - started, error: { code: err.code, message: err.message } }
  } finally {
    release()
  }
}
