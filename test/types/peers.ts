// Type-level test (compiled by `npm run typecheck`, never run): the real clients of the optional
// peers are assignable to vgent's structural client types (src/peer-types.ts), and to the options
// that take them, so describing them by their members did not narrow what users can pass.
import type OpenAI from 'openai'
import type * as Pg from 'pg'
import type { QdrantClient } from '@qdrant/js-client-rest'
import type {
  OpenAIClientLike,
  OpenAIEmbedderOptions,
  PgPoolClientLike,
  PgPoolLike,
  PostgresBackendOptions,
  PostgresProbeOptions,
  QdrantBackendOptions,
  QdrantClientLike,
} from '../../src/index'
import { PostgresVectorBackend, QdrantVectorBackend } from '../../src/index'

declare const pool: Pg.Pool
declare const poolClient: Pg.PoolClient
declare const qdrant: QdrantClient
declare const openai: OpenAI

export const pgPool: PgPoolLike = pool
export const pgClient: PgPoolClientLike = poolClient
export const qdrantClient: QdrantClientLike = qdrant
export const openaiClient: OpenAIClientLike = openai

export const pgOptions: PostgresBackendOptions = { dimension: 3, pool }
export const pgProbe: PostgresProbeOptions = { pool }
export const qdrantOptions: QdrantBackendOptions = { dimension: 3, client: qdrant }
export const openaiOptions: OpenAIEmbedderOptions = { client: openai }
export const probes = [PostgresVectorBackend.probe({ pool }), QdrantVectorBackend.probe({ client: qdrant })]

// The types still say something: objects that are not clients are refused.
// @ts-expect-error a pool must have connect() and query()
export const notAPool: PostgresBackendOptions = { dimension: 3, pool: { query: async () => ({ rows: [], rowCount: 0 }) } }
// @ts-expect-error a Qdrant client must have the methods vgent calls
export const notAQdrantClient: QdrantBackendOptions = { dimension: 3, client: { versionInfo: async () => ({ version: '1' }) } }
// @ts-expect-error an OpenAI client must have embeddings.create
export const notAnOpenAIClient: OpenAIEmbedderOptions = { client: { chat: {} } }
