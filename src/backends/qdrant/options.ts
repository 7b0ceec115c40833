/**
 * The Qdrant tier's public option and result types. Peer-free on purpose: the public declaration
 * files import these, and must not reach a module that imports `@qdrant/js-client-rest` (see
 * src/peer-types.ts).
 */

export type PayloadIndexType = 'keyword' | 'integer' | 'float' | 'bool'

export interface QdrantProbe {
  /** The server answered its root endpoint with a version within the timeout. */
  ok: boolean
  url: string
  /** Round-trip time of the probe (up to the timeout when it failed). */
  latencyMs: number
  /** Qdrant's version string when `ok`. */
  version?: string
  /** Why not `ok`. */
  error?: string
}
