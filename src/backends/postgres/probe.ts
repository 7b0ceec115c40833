/** A quick health check of a Postgres server for the router: reachable, pgvector present, how fast. */
import type * as Pg from 'pg'
import { ErrorCode, VgentError } from '../../errors'
import { fromPg, loadPg } from './driver'
import { versionAtLeast } from './metric-sql'
import type { PostgresProbe, PostgresProbeOptions } from './options'

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
  // A given pool is typed by its members (PgPoolLike) so that the public types need no pg; here it
  // is used as the pg.Pool it is (or something that answers the same calls).
  const pool = opts.pool as Pg.Pool | undefined
  try {
    if (pool) {
      const pooled = await deadline(pool.connect(), timeoutMs, 'connect')
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
