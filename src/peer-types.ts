/**
 * The clients a user may hand to vgent (a pg pool, a Qdrant client, an OpenAI client), described by
 * the members vgent calls on them. `pg`, `@qdrant/js-client-rest` and `openai` are optional peer
 * dependencies: the public declaration files must not import them, or a project without them fails
 * to compile under `skipLibCheck: false` (TS2307). A real `pg.Pool`, `QdrantClient` or `OpenAI` is
 * assignable to these (test/types/peers.ts checks it against the real packages); internally vgent
 * keeps the real types and casts once where a user's client comes in.
 *
 * This file must never import an optional peer, not even a type.
 */

/** A query result, as far as vgent reads it. */
export interface PgQueryResultLike {
  rows: unknown[]
  rowCount: number | null
}

/** A connection checked out of a pool: a pg.PoolClient (or anything with these methods). */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>
  /** Returns the connection; with an error, the pool destroys it instead. */
  release(err?: Error | boolean): void
  on(event: 'error', listener: (err: Error) => void): unknown
  off(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * A pg.Pool (or anything with these methods). vgent never ends or listens on a pool it was given:
 * closing the store leaves the pool to its owner.
 */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>
}

/** A point as vgent reads it back (retrieve, scroll, query). */
export interface QdrantPointLike {
  id: string | number
  payload?: Record<string, unknown> | null
  vector?: unknown
  score?: number
}

/**
 * A QdrantClient from `@qdrant/js-client-rest` ≥ 1.10 (or anything with these methods). Request
 * bodies are Qdrant's REST request bodies, as the real client takes them; results are typed as far
 * as vgent reads them.
 */
export interface QdrantClientLike {
  versionInfo(): Promise<{ version: string }>
  collectionExists(collectionName: string): Promise<{ exists: boolean }>
  createCollection(collectionName: string, request: object): Promise<unknown>
  getCollection(collectionName: string): Promise<{ config: { params: { vectors?: unknown } }; payload_schema?: Record<string, unknown> | null }>
  createPayloadIndex(collectionName: string, request: object): Promise<unknown>
  upsert(collectionName: string, request: object): Promise<unknown>
  retrieve(collectionName: string, request: object): Promise<QdrantPointLike[]>
  delete(collectionName: string, request: object): Promise<unknown>
  /** `next_page_offset` is sent back as the next request's `offset`; absent or null on the last page. */
  scroll(collectionName: string, request: object): Promise<{ points: QdrantPointLike[]; next_page_offset?: unknown }>
  count(collectionName: string, request: object): Promise<{ count: number }>
  query(collectionName: string, request: object): Promise<{ points: QdrantPointLike[] }>
  queryBatch(collectionName: string, request: object): Promise<{ points: QdrantPointLike[] }[]>
}

/** The request vgent sends to `embeddings.create`. */
export interface OpenAIEmbeddingRequestLike {
  model: string
  input: string[]
  encoding_format?: 'base64' | 'float'
  dimensions?: number
}

/**
 * An OpenAI client from the `openai` package (or anything with `embeddings.create`). Each
 * `embedding` is a number[], or with `encoding_format: 'base64'` a base64 string of little-endian
 * float32 values (which the SDK's types still call number[]).
 */
export interface OpenAIClientLike {
  embeddings: {
    create(
      body: OpenAIEmbeddingRequestLike,
      options?: { maxRetries?: number; timeout?: number },
    ): Promise<{ data: { embedding: number[] | string; index: number }[] }>
  }
}
