/**
 * How the router probes and opens each tier. A probe is a real check with a timeout (the D-gent data
 * dir is writable; Postgres answers and has pgvector; Qdrant answers); opening may still fail, and the
 * router then treats the tier as unavailable.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { VgentError, ErrorCode } from '../errors'
import { MemoryVectorBackend } from '../backends/memory'
import { DgentVectorBackend, defaultDataDir } from '../backends/dgent'
import type { DistanceMetric, VgentProtocol } from '../types'
import type { BackendStatus, VectorBackend } from './backend'

export interface TierContext {
  dimension: number
  metric: DistanceMetric
  namespace: string
  dataDir?: string
  durability?: 'fsync' | 'none'
  postgresUrl?: string
  qdrantUrl?: string
  qdrantApiKey?: string
  probeTimeoutMs: number
}

export interface TierDriver {
  probe(ctx: TierContext): Promise<Omit<BackendStatus, 'backend'>>
  open(ctx: TierContext): Promise<VgentProtocol>
}

/** Rejects with BACKEND_UNAVAILABLE when `work` takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `${what} did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function dgentDir(ctx: TierContext): string {
  return path.resolve(ctx.dataDir ?? defaultDataDir(ctx.namespace))
}

const memory: TierDriver = {
  probe: async () => ({ available: true, reason: 'in-process; always available (not persisted)', latencyMs: 0 }),
  open: async (ctx) => new MemoryVectorBackend({ dimension: ctx.dimension, metric: ctx.metric }),
}

const dgent: TierDriver = {
  // Synchronous on purpose: a local check takes microseconds, and the thread pool may be busy with
  // other work (a queued probe would time out on a healthy disk).
  async probe(ctx) {
    const dir = dgentDir(ctx)
    const t0 = performance.now()
    try {
      fs.mkdirSync(dir, { recursive: true })
      const probeFile = path.join(dir, `.probe-${process.pid}-${Date.now()}`)
      fs.writeFileSync(probeFile, 'ok')
      fs.unlinkSync(probeFile)
      return { available: true, reason: `data dir ${dir} is writable`, latencyMs: performance.now() - t0 }
    } catch (e) {
      return { available: false, reason: `data dir ${dir} is not writable: ${(e as Error).message}`, latencyMs: null }
    }
  },
  open: (ctx) => DgentVectorBackend.open({ dimension: ctx.dimension, metric: ctx.metric, namespace: ctx.namespace, dataDir: dgentDir(ctx), durability: ctx.durability }),
}

export const DRIVERS: Record<VectorBackend, TierDriver> = {
  memory,
  dgent,
  postgres: {
    async probe(ctx) {
      if (!ctx.postgresUrl) return { available: false, reason: 'KGENTS_POSTGRES_URL is not set', latencyMs: null }
      const { PostgresVectorBackend } = await import('../backends/postgres')
      const p = await PostgresVectorBackend.probe({ url: ctx.postgresUrl, timeoutMs: ctx.probeTimeoutMs })
      if (!p.ok) return { available: false, reason: `Postgres: ${p.error?.message ?? 'no answer'}`, latencyMs: null }
      const ext = p.extensionVersion ? `pgvector ${p.extensionVersion}` : `pgvector ${p.extensionAvailable} installable`
      return { available: true, reason: `PostgreSQL ${p.serverVersion ?? ''} with ${ext}`.replace('  ', ' '), latencyMs: p.latencyMs }
    },
    async open(ctx) {
      const { PostgresVectorBackend } = await import('../backends/postgres')
      return PostgresVectorBackend.open({ url: ctx.postgresUrl, namespace: ctx.namespace, dimension: ctx.dimension, metric: ctx.metric })
    },
  },
  qdrant: {
    async probe(ctx) {
      if (!ctx.qdrantUrl) return { available: false, reason: 'KGENTS_QDRANT_URL is not set', latencyMs: null }
      const { QdrantVectorBackend } = await import('../backends/qdrant')
      const p = await QdrantVectorBackend.probe({ url: ctx.qdrantUrl, apiKey: ctx.qdrantApiKey, timeoutMs: ctx.probeTimeoutMs })
      return p.ok
        ? { available: true, reason: `Qdrant${p.version ? ` ${p.version}` : ''} answers at ${p.url}`, latencyMs: p.latencyMs }
        : { available: false, reason: `Qdrant at ${p.url}: ${p.error ?? 'no answer'}`, latencyMs: null }
    },
    async open(ctx) {
      const { QdrantVectorBackend } = await import('../backends/qdrant')
      return QdrantVectorBackend.open({ url: ctx.qdrantUrl, apiKey: ctx.qdrantApiKey, namespace: ctx.namespace, dimension: ctx.dimension, metric: ctx.metric })
    },
  },
}
