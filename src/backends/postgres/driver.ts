/**
 * The optional `pg` and `pgvector` packages, loaded on first use of the Postgres tier only, and the
 * mapping of their errors onto vgent's codes.
 */
import type * as Pg from 'pg'
import { ErrorCode, VgentError } from '../../errors'

export interface PgModules {
  pg: typeof Pg
  pgvector: { toSql(v: number[]): string; fromSql(s: string): number[] }
}

let modules: PgModules | undefined

/** `require`s pg and pgvector, or says exactly what to install. */
export function loadPg(): PgModules {
  if (modules) return modules
  const missing: string[] = []
  const load = <T>(name: string): T | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name) as T
    } catch (e) {
      if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') {
        missing.push(name)
        return undefined
      }
      throw e
    }
  }
  const pg = load<typeof Pg>('pg')
  const pgvector = load<PgModules['pgvector']>('pgvector')
  if (!pg || !pgvector) {
    throw new VgentError(
      ErrorCode.BACKEND_UNAVAILABLE,
      `the Postgres tier needs the optional package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}: npm install pg pgvector`,
    )
  }
  modules = { pg, pgvector }
  return modules
}

/** Socket-level failures: the server is not there (or went away). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED'])
/** SQLSTATEs meaning the server cannot serve us right now: shutdown, crash, startup, connection limits. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000'])
/** node-pg reports lost connections and timeouts (a client's connect or query deadline) with messages, not codes. */
const LOST_CONNECTION = /Connection terminated|connection timeout|timeout exceeded when trying to connect|^timeout expired$|^Query read timeout$|encountered a connection error|Connection ended|not queryable|Client was closed|Cannot use a pool after calling end/i

export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || code.startsWith('28')) return true
  }
  const errors = (e as { errors?: unknown }).errors // AggregateError from a multi-address connect
  if (Array.isArray(errors) && errors.some(isConnectionError)) return true
  return e instanceof Error && LOST_CONNECTION.test(e.message)
}

/** Any error from pg as a VgentError: connection trouble is BACKEND_UNAVAILABLE, the rest INTERNAL. */
export function fromPg(e: unknown, what: string): VgentError {
  if (e instanceof VgentError) return e
  const message = e instanceof Error ? e.message || String((e as { code?: unknown }).code ?? e.name) : String(e)
  if (isConnectionError(e)) {
    return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `postgres is unavailable (${what}): ${message}`, { cause: e })
  }
  const code = (e as { code?: unknown }).code
  return new VgentError(ErrorCode.INTERNAL, `postgres failed (${what})${typeof code === 'string' ? ` [${code}]` : ''}: ${message}`, { cause: e })
}
