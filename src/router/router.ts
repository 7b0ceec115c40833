/**
 * `VgentRouter`: one `VgentProtocol` over the lattice. It picks a tier on first use (explicit choice →
 * `KGENTS_VGENT_BACKEND` → preferred → fallback chain → Memory), skipping tiers whose probe or open
 * fails, and can promote the store to another tier: copy in batches under dual-write, verify, switch.
 */
import { EventEmitter } from 'node:events'
import { ErrorCode, VgentError } from '../errors'
import { checkMetric } from '../metric'
import type {
  BatchEntry,
  BulkBatch,
  DistanceMetric,
  ExportBatch,
  Exportable,
  Metadata,
  SearchOptions,
  SearchResult,
  VectorEntry,
  VectorInput,
  VgentProtocol,
} from '../types'
import { isExportable } from '../types'
import { checkDimension } from '../validate'
import { checkNamespace } from '../backends/dgent'
import { LATTICE, checkBackend, parseBackend, type BackendStatus, type VectorBackend } from './backend'
import { digestStore } from './checksum'
import { Mutex } from './mutex'
import { DRIVERS, withTimeout, type TierContext } from './tiers'

export interface RouterLogger {
  info(message: string): void
  warn(message: string): void
}

/** Promote in the background when a store outgrows its tier (the seed design's size bands). */
export interface AutoUpgradePolicy {
  /** Entries above which a tier promotes to the next available one. Defaults: memory 10,000; dgent 100,000; postgres 1,000,000. */
  thresholds?: Partial<Record<'memory' | 'dgent' | 'postgres', number>>
  /** Check the size after this many written entries (default 1,000). */
  checkEvery?: number
  onUpgrade?: (report: MigrationReport) => void
  onError?: (error: unknown) => void
}

export interface VgentRouterOptions {
  dimension: number
  metric?: DistanceMetric
  namespace?: string
  /** Tried after an explicit `backend` and `KGENTS_VGENT_BACKEND`. */
  preferred?: VectorBackend
  /** Tried after `preferred`; default `['dgent', 'memory']`. Memory always ends the chain. */
  fallbackChain?: VectorBackend[]
  /** Use exactly this tier: no fallback; unavailable is an error. */
  backend?: VectorBackend
  autoUpgrade?: boolean | AutoUpgradePolicy
  /** D-gent data dir (default `$KGENTS_DATA_ROOT/vectors/<namespace>`). */
  dataDir?: string
  durability?: 'fsync' | 'none'
  /** Default `$KGENTS_POSTGRES_URL`. */
  postgresUrl?: string
  /** Default `$KGENTS_QDRANT_URL` / `$KGENTS_QDRANT_API_KEY`. */
  qdrantUrl?: string
  qdrantApiKey?: string
  /** Per-probe timeout, default 2,000 ms. */
  probeTimeoutMs?: number
  /** Where the one "selected X because Y" line goes; silent when omitted and NODE_ENV is `test`. */
  logger?: RouterLogger
}

export interface MigrationReport {
  from: VectorBackend
  to: VectorBackend
  /** Entries copied by the bulk pass (writes during the copy were dual-written besides). */
  copied: number
  /** Entries in both stores at the switch. */
  count: number
  /** XOR of SHA-256 over (id, vector bytes) of every entry; equal on both sides. */
  checksum: string
  durationMs: number
}

const DEFAULT_THRESHOLDS = { memory: 10_000, dgent: 100_000, postgres: 1_000_000 }

interface Active {
  backend: VectorBackend
  store: VgentProtocol
  /** Calls in flight on this store: it is closed only once they finish. */
  inflight: number
  /** Set while the store is being retired: called when the last call in flight finishes. */
  onIdle: (() => void) | null
}

interface Migration {
  to: VectorBackend
  target: VgentProtocol
  failed: unknown
}

const SILENT: RouterLogger = { info: () => {}, warn: () => {} }
const STDERR: RouterLogger = {
  info: (m) => console.error(`vgent: ${m}`),
  warn: (m) => console.error(`vgent: warning: ${m}`),
}

export class VgentRouter extends EventEmitter implements VgentProtocol {
  readonly dimension: number
  readonly metric: DistanceMetric
  readonly namespace: string
  private readonly ctx: TierContext
  private readonly opts: VgentRouterOptions
  private readonly logger: RouterLogger
  private readonly policy: {
    thresholds: Record<'memory' | 'dgent' | 'postgres', number>
    checkEvery: number
    onUpgrade?: (report: MigrationReport) => void
    onError?: (error: unknown) => void
  } | null
  private active: Active | null = null
  private selecting: Promise<Active> | null = null
  private readonly openFailures = new Map<VectorBackend, string>()
  private migration: Migration | null = null
  private readonly writeLock = new Mutex()
  private unlockedWrites = 0
  private drained: (() => void) | null = null
  private writesSinceCheck = 0
  private upgrading = false
  private closed = false

  constructor(opts: VgentRouterOptions) {
    super()
    if (typeof opts !== 'object' || opts === null) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'VgentRouter needs options { dimension, ... }')
    this.dimension = checkDimension(opts.dimension)
    this.metric = checkMetric(opts.metric ?? 'cosine')
    this.namespace = checkNamespace(opts.namespace)
    // Names are accepted in any case (as KGENTS_VGENT_BACKEND is) and kept in their canonical form.
    const backend = opts.backend === undefined ? undefined : checkBackend(opts.backend, 'backend')
    const preferred = opts.preferred === undefined ? undefined : checkBackend(opts.preferred, 'preferred')
    let fallbackChain: VectorBackend[] | undefined
    if (opts.fallbackChain !== undefined) {
      if (!Array.isArray(opts.fallbackChain)) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'fallbackChain must be an array of backend names')
      fallbackChain = opts.fallbackChain.map((b, i) => checkBackend(b, `fallbackChain[${i}]`))
    }
    const timeout = opts.probeTimeoutMs ?? 2000
    if (!Number.isFinite(timeout) || timeout <= 0) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `probeTimeoutMs must be a positive number, got ${String(timeout)}`)
    this.opts = { ...opts, backend, preferred, fallbackChain }
    this.logger = opts.logger ?? (process.env.NODE_ENV === 'test' ? SILENT : STDERR)
    this.ctx = {
      dimension: this.dimension,
      metric: this.metric,
      namespace: this.namespace,
      dataDir: opts.dataDir,
      durability: opts.durability,
      postgresUrl: opts.postgresUrl ?? process.env.KGENTS_POSTGRES_URL,
      qdrantUrl: opts.qdrantUrl ?? process.env.KGENTS_QDRANT_URL,
      qdrantApiKey: opts.qdrantApiKey ?? process.env.KGENTS_QDRANT_API_KEY,
      probeTimeoutMs: timeout,
    }
    const p = opts.autoUpgrade
    if (!p) {
      this.policy = null
    } else {
      const o: AutoUpgradePolicy = p === true ? {} : p
      const checkEvery = o.checkEvery ?? 1000
      if (!Number.isInteger(checkEvery) || checkEvery < 1) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `autoUpgrade.checkEvery must be a positive integer, got ${String(checkEvery)}`)
      const thresholds = { ...DEFAULT_THRESHOLDS, ...o.thresholds }
      for (const [tier, n] of Object.entries(thresholds)) {
        if (!(tier in DEFAULT_THRESHOLDS)) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `autoUpgrade.thresholds has no band for ${JSON.stringify(tier)}: it has memory, dgent and postgres`)
        if (!Number.isInteger(n) || n < 0) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `autoUpgrade.thresholds.${tier} must be a non-negative integer, got ${String(n)}`)
      }
      this.policy = { thresholds, checkEvery, onUpgrade: o.onUpgrade, onError: o.onError }
    }
  }

  /** The tier in use, or null before the first call (and after `reset`). */
  get selected(): VectorBackend | null {
    return this.active?.backend ?? null
  }

  /** Selects a tier now instead of on first use. */
  async ready(): Promise<VectorBackend> {
    return (await this.ensure()).backend
  }

  // ---- selection ---------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the router is closed')
  }

  private ensure(): Promise<Active> {
    this.checkOpen()
    if (this.active) return Promise.resolve(this.active)
    // Concurrent first calls share one selection.
    this.selecting ??= this.select().finally(() => (this.selecting = null))
    return this.selecting
  }

  /** The candidates in order, each once. */
  private candidates(): { list: VectorBackend[]; strict: boolean } {
    if (this.opts.backend) return { list: [this.opts.backend], strict: true }
    const list: VectorBackend[] = []
    const env = process.env.KGENTS_VGENT_BACKEND
    if (env !== undefined && env.trim() !== '') {
      const b = parseBackend(env)
      if (b) list.push(b)
      else this.logger.warn(`KGENTS_VGENT_BACKEND=${JSON.stringify(env)} names no tier (${LATTICE.join(', ')}); ignoring it`)
    }
    if (this.opts.preferred) list.push(this.opts.preferred)
    list.push(...(this.opts.fallbackChain ?? ['dgent', 'memory']), 'memory')
    return { list: [...new Set(list)], strict: false }
  }

  private async probe(b: VectorBackend): Promise<BackendStatus> {
    try {
      const s = await withTimeout(DRIVERS[b].probe(this.ctx), this.ctx.probeTimeoutMs, `the ${b} probe`)
      return { backend: b, ...s }
    } catch (e) {
      return { backend: b, available: false, reason: (e as Error).message, latencyMs: null }
    }
  }

  private async open(b: VectorBackend): Promise<VgentProtocol> {
    const store = await DRIVERS[b].open(this.ctx)
    if (store.dimension !== this.dimension || store.metric !== this.metric) {
      await store.close()
      throw new VgentError(ErrorCode.STORE_MISMATCH, `the ${b} store has dimension ${store.dimension} and metric ${store.metric}`)
    }
    return store
  }

  private async select(): Promise<Active> {
    const { list, strict } = this.candidates()
    const skipped: string[] = []
    for (const b of list) {
      const status = await this.probe(b)
      if (!status.available) {
        skipped.push(`${b} (${status.reason})`)
        continue
      }
      try {
        const store = await this.open(b)
        this.openFailures.delete(b)
        this.checkOpen()
        this.active = { backend: b, store, inflight: 0, onIdle: null }
        const why = strict ? 'explicit backend option' : `first available of ${list.join(' → ')}`
        this.logger.info(`namespace ${this.namespace} uses the ${b} tier (${why}: ${status.reason})${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`)
        return this.active
      } catch (e) {
        const reason = `probe passed but opening failed: ${(e as Error).message}`
        this.openFailures.set(b, reason)
        skipped.push(`${b} (${reason})`)
        this.logger.warn(`skipping the ${b} tier: ${reason}`)
      }
    }
    throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `no tier is available for namespace ${this.namespace}: ${skipped.join('; ')}`)
  }

  /** Every tier: available or not and why, with probe latency. */
  async status(): Promise<BackendStatus[]> {
    const all = await Promise.all(LATTICE.map((b) => this.probe(b)))
    return all.map((s) => {
      const failure = this.openFailures.get(s.backend)
      return failure && s.available && this.active?.backend !== s.backend ? { ...s, available: false, reason: failure } : s
    })
  }

  /** Switches to tier `b` (its own data; nothing is copied). */
  async forceBackend(name: VectorBackend): Promise<void> {
    this.checkOpen()
    const b = checkBackend(name, 'backend')
    if (this.migration) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'a promotion is in progress')
    const status = await this.probe(b)
    if (!status.available) throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the ${b} tier is unavailable: ${status.reason}`)
    let store: VgentProtocol
    try {
      store = await this.open(b)
    } catch (e) {
      const reason = `probe passed but opening failed: ${(e as Error).message}`
      this.openFailures.set(b, reason)
      throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the ${b} tier is unavailable: ${reason}`, { cause: e })
    }
    await this.selecting?.catch(() => undefined)
    const old = this.active
    this.active = { backend: b, store, inflight: 0, onIdle: null }
    this.logger.info(`namespace ${this.namespace} switched to the ${b} tier (forced)`)
    if (old) await this.retire(old)
  }

  /** Forgets the selection (closing the current store); the next call selects again. */
  async reset(): Promise<void> {
    this.checkOpen()
    if (this.migration) throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'a promotion is in progress')
    await this.selecting?.catch(() => undefined)
    const old = this.active
    this.active = null
    this.openFailures.clear()
    if (old) await this.retire(old)
  }

  /** Closes a store once the calls in flight on it have finished. */
  private async retire(a: Active): Promise<void> {
    if (a.inflight > 0) await new Promise<void>((r) => (a.onIdle = r))
    await a.store.close()
  }

  // ---- calls -------------------------------------------------------------------------------------

  private async read<T>(f: (s: VgentProtocol) => Promise<T>): Promise<T> {
    const a = await this.ensure()
    a.inflight++
    try {
      return await f(a.store)
    } finally {
      leave(a)
    }
  }

  /** Writes go to the active store; during a promotion, under the write lock, to the target as well. */
  private async write<T>(f: (s: VgentProtocol) => Promise<T>, entries: number): Promise<T> {
    await this.ensure()
    let result: T
    if (!this.migration) {
      const a = this.active!
      a.inflight++
      this.unlockedWrites++
      try {
        result = await f(a.store)
      } finally {
        leave(a)
        if (--this.unlockedWrites === 0) this.drained?.()
      }
    } else {
      result = await this.writeLock.run(async () => {
        const a = this.active!
        a.inflight++
        try {
          const r = await f(a.store)
          const m = this.migration
          if (m && !m.failed) {
            try {
              await f(m.target)
            } catch (e) {
              m.failed = e
            }
          }
          return r
        } finally {
          leave(a)
        }
      })
    }
    this.afterWrite(entries)
    return result
  }

  add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string> {
    return this.write((s) => s.add(id, vector, metadata), 1)
  }
  addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]> {
    // Materialise a one-shot iterable once: during a promotion it is applied to two stores.
    const batch = Symbol.iterator in Object(entries) ? Array.from(entries as Iterable<BatchEntry>) : entries
    const n = Array.isArray(batch) ? batch.length : ((batch as BulkBatch).ids?.length ?? 0)
    return this.write((s) => s.addBatch(batch), n)
  }
  remove(id: string): Promise<boolean> {
    return this.write((s) => s.remove(id), 0)
  }
  clear(): Promise<number> {
    return this.write((s) => s.clear(), 0)
  }
  get(id: string): Promise<VectorEntry | null> {
    return this.read((s) => s.get(id))
  }
  search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]> {
    return this.read((s) => s.search(query, options))
  }
  searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]> {
    return this.read((s) => s.searchBatch(queries, options))
  }
  count(): Promise<number> {
    return this.read((s) => s.count())
  }
  exists(id: string): Promise<boolean> {
    return this.read((s) => s.exists(id))
  }

  /** Streams every entry of the active store (see `Exportable`). */
  async *exportEntries(options?: { batchSize?: number }): AsyncIterable<ExportBatch> {
    const a = await this.ensure()
    if (!isExportable(a.store)) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `the ${a.backend} tier cannot export its entries`)
    a.inflight++
    try {
      yield* a.store.exportEntries(options)
    } finally {
      leave(a)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.selecting?.catch(() => undefined)
    this.closed = true
    const a = this.active
    this.active = null
    if (a) await this.retire(a)
  }

  // ---- promotion ---------------------------------------------------------------------------------

  /**
   * Copies every entry to tier `to` in batches (writes meanwhile go to both), verifies count and
   * checksum, then switches. On abort or failure the router stays on the source, which is untouched;
   * the target namespace is overwritten by the next attempt, so a promotion is safely re-runnable.
   */
  async promote(tier: VectorBackend, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal; batchSize?: number } = {}): Promise<MigrationReport> {
    const to = checkBackend(tier, 'promote target')
    const source = await this.ensure()
    const from = source.backend
    if (to === from) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `the store is already on the ${to} tier`)
    if (this.migration) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `a promotion to ${this.migration.to} is in progress`)
    if (!isExportable(source.store)) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `the ${from} tier cannot export its entries`)
    const batchSize = opts.batchSize ?? 5000
    checkAborted(opts.signal)
    const status = await this.probe(to)
    if (!status.available) throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the ${to} tier is unavailable: ${status.reason}`)
    let target: VgentProtocol
    try {
      target = await this.open(to)
    } catch (e) {
      throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the ${to} tier is unavailable: ${(e as Error).message}`, { cause: e })
    }
    if (!isExportable(target)) {
      await target.close()
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `the ${to} tier cannot be verified (it cannot export its entries)`)
    }
    const started = performance.now()
    const m: Migration = { to, target, failed: null }
    this.migration = m
    source.inflight++
    let it: AsyncIterator<ExportBatch> | undefined
    try {
      // Writes that started before the promotion finish first; later ones take the write lock.
      if (this.unlockedWrites > 0) await new Promise<void>((r) => (this.drained = r))
      this.drained = null
      await this.writeLock.run(() => target.clear())
      const total = await source.store.count()
      it = source.store.exportEntries({ batchSize })[Symbol.asyncIterator]()
      const entries = it
      let copied = 0
      for (;;) {
        this.checkStillWanted(m, opts.signal)
        // Reading a batch and writing it happen under the write lock, so no write interleaves.
        const more = await this.writeLock.run(async () => {
          const step = await entries.next()
          if (step.done) return false
          await target.addBatch({ ids: step.value.ids, vectors: step.value.vectors, metadata: step.value.metadata })
          copied += step.value.ids.length
          return true
        })
        if (!more) break
        safeProgress(opts.onProgress, copied, Math.max(total, copied))
      }
      return await this.writeLock.run(async () => {
        this.checkStillWanted(m, opts.signal)
        const [a, b] = await Promise.all([digestStore(source.store as VgentProtocol & Exportable, this.dimension), digestStore(target, this.dimension)])
        if (a.count !== b.count || a.checksum !== b.checksum) {
          throw new VgentError(ErrorCode.STORE_MISMATCH, `verification failed: ${from} holds ${a.count} entries (checksum ${a.checksum.slice(0, 16)}…), ${to} holds ${b.count} (${b.checksum.slice(0, 16)}…)`)
        }
        this.checkStillWanted(m, opts.signal)
        this.active = { backend: to, store: target, inflight: 0, onIdle: null }
        this.migration = null
        const report: MigrationReport = { from, to, copied, count: a.count, checksum: a.checksum, durationMs: performance.now() - started }
        this.logger.info(`namespace ${this.namespace} promoted from ${from} to ${to}: ${a.count} entries verified`)
        leave(source)
        void this.retire(source)
        return report
      })
    } catch (e) {
      await it?.return?.().catch(() => undefined)
      if (this.migration === m) {
        this.migration = null
        leave(source)
        await target.close().catch(() => undefined)
      }
      throw e
    }
  }

  /** Throws when the promotion must stop: aborted, a dual write to the target failed, or the router was closed. */
  private checkStillWanted(m: Migration, signal: AbortSignal | undefined): void {
    checkAborted(signal)
    if (m.failed) throw m.failed
    // close() waits for the promotion to let go of the source; switching now would leave the target open.
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the router was closed during the promotion; the store stays where it was')
  }

  private afterWrite(entries: number): void {
    if (!this.policy || this.upgrading) return
    this.writesSinceCheck += Math.max(1, entries)
    if (this.writesSinceCheck < this.policy.checkEvery) return
    this.writesSinceCheck = 0
    this.upgrading = true
    void this.maybeUpgrade().finally(() => (this.upgrading = false))
  }

  /** Promotes to the next available tier above the current one when the store crossed its band. */
  private async maybeUpgrade(): Promise<void> {
    const policy = this.policy!
    try {
      const a = this.active
      if (!a || this.migration || a.backend === 'qdrant') return
      const limit = policy.thresholds[a.backend as 'memory' | 'dgent' | 'postgres']
      if ((await a.store.count()) <= limit) return
      for (const next of LATTICE.slice(LATTICE.indexOf(a.backend) + 1)) {
        if (!(await this.probe(next)).available) continue
        const report = await this.promote(next)
        this.emit('promoted', report)
        policy.onUpgrade?.(report)
        return
      }
    } catch (e) {
      this.emit('promotionFailed', e)
      policy.onError?.(e)
    }
  }
}

/** Ends one call on `a`, waking a pending retirement when it was the last. */
function leave(a: Active): void {
  if (--a.inflight === 0) a.onIdle?.()
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VgentError(ErrorCode.ABORTED, 'the promotion was aborted; the store stays where it was', { cause: signal.reason })
}

function safeProgress(cb: ((done: number, total: number) => void) | undefined, done: number, total: number): void {
  try {
    cb?.(done, total)
  } catch {
    // A throwing progress callback must not break the migration.
  }
}

/** Creates a router and selects its tier before resolving. */
export async function createVgent(opts: VgentRouterOptions): Promise<VgentRouter> {
  const router = new VgentRouter(opts)
  await router.ready()
  return router
}
