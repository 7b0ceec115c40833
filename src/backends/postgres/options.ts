/**
 * The Postgres tier's public option and result types. Peer-free on purpose: the public declaration
 * files import these, and must not reach a module that imports `pg` (see src/peer-types.ts).
 */
import type { PgPoolLike } from '../../peer-types'

export type IndexKind = 'hnsw' | 'ivfflat' | 'none'

/** What the store indexes, and why when that differs from what was asked. */
export interface IndexPlan {
  kind: IndexKind
  /** Above 2,000 dims the index is built over a `halfvec` cast of the column (up to 4,000). */
  halfvec: boolean
  note?: string
}

export interface HnswOptions {
  /** Graph degree (pgvector default 16). */
  m?: number
  /** Build-time candidate list (pgvector default 64). */
  efConstruction?: number
  /** Search-time candidate list; raised to `limit` when a search asks for more. Default 100. */
  efSearch?: number
}

export interface PostgresProbeOptions {
  /** Default `$KGENTS_POSTGRES_URL`. */
  url?: string
  /** Probe through an existing pool instead of a new connection: a pg.Pool (or anything with these methods). */
  pool?: PgPoolLike
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
