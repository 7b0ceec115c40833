/**
 * `DgentVectorBackend`: the persisted local tier. With no `dgent` it is the native log-backed store
 * (the fast path, everything in Rust); with a caller's `DgentProtocol` it keeps each vector as a datum
 * and searches an in-memory native index rebuilt on open. Both behave identically.
 */
import * as os from 'node:os'
import * as path from 'node:path'
import { ErrorCode, VgentError } from '../errors'
import { checkDurability } from '../dgent/file'
import type { DgentProtocol } from '../dgent/types'
import { checkMetric } from '../metric'
import type { BatchEntry, BulkBatch, DistanceMetric, ExportBatch, Metadata, SearchOptions, SearchResult, VectorEntry, VectorInput, VgentProtocol } from '../types'
import { checkDimension } from '../validate'
import { DatumVectorStore } from './dgent-datum'
import { LogVectorStore } from './dgent-log'

export interface DgentBackendOptions {
  dimension: number
  metric?: DistanceMetric
  /** Default `default`. Letters, digits, `_`, `-` and `.` (no `:`), so no namespace's ids can bleed into another's. */
  namespace?: string
  /** Overrides `$KGENTS_DATA_ROOT/vectors/<namespace>/` (else `~/.kgents/vectors/<namespace>/`). */
  dataDir?: string
  /** Keep vectors as datums in this D-gent instead of the native file store. */
  dgent?: DgentProtocol
  /** `fsync` (default): acknowledged after fsync. `none`: after the OS has the bytes (survives a crash of this process, not of the machine). */
  durability?: 'fsync' | 'none'
  /** Open a snapshot of the native file store without its lock (beside a live writer); writes are refused. */
  readOnly?: boolean
}

export const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

export function checkNamespace(namespace: unknown): string {
  const ns = namespace ?? 'default'
  if (typeof ns !== 'string' || !NAMESPACE.test(ns)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `namespace ${JSON.stringify(ns)} must match ${NAMESPACE}`)
  }
  return ns
}

/** Where a namespace's files live when no `dataDir` is given. */
export function defaultDataDir(namespace: string): string {
  const root = process.env.KGENTS_DATA_ROOT || path.join(os.homedir(), '.kgents')
  return path.join(root, 'vectors', namespace)
}

type Engine = LogVectorStore | DatumVectorStore

export class DgentVectorBackend implements VgentProtocol {
  readonly dimension: number
  readonly metric: DistanceMetric
  readonly namespace: string
  /** The store's directory on the fast path; `null` over a caller's D-gent. */
  readonly dataDir: string | null

  private constructor(
    private readonly engine: Engine,
    namespace: string,
    dataDir: string | null,
  ) {
    this.dimension = engine.dimension
    this.metric = engine.metric
    this.namespace = namespace
    this.dataDir = dataDir
  }

  static async open(opts: DgentBackendOptions): Promise<DgentVectorBackend> {
    if (typeof opts !== 'object' || opts === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'DgentVectorBackend.open needs options { dimension, metric?, namespace?, dataDir?, dgent?, durability? }')
    }
    const dimension = checkDimension(opts.dimension)
    const metric = checkMetric(opts.metric ?? 'cosine')
    const namespace = checkNamespace(opts.namespace)
    const durability = checkDurability(opts.durability)
    if (opts.dgent !== undefined) {
      if (!isDgent(opts.dgent)) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'dgent must implement DgentProtocol (put, get, delete, list, causalChain, exists, count, close)')
      }
      return new DgentVectorBackend(await DatumVectorStore.open(opts.dgent, namespace, dimension, metric), namespace, null)
    }
    const dataDir = path.resolve(opts.dataDir ?? defaultDataDir(namespace))
    const engine = await LogVectorStore.open(dataDir, dimension, metric, durability === 'fsync', opts.readOnly === true)
    return new DgentVectorBackend(engine, namespace, dataDir)
  }

  add(id: string, vector: VectorInput, metadata?: Metadata): Promise<string> {
    return this.engine.add(id, vector, metadata)
  }
  addBatch(entries: Iterable<BatchEntry> | BulkBatch): Promise<string[]> {
    return this.engine.addBatch(entries)
  }
  remove(id: string): Promise<boolean> {
    return this.engine.remove(id)
  }
  clear(): Promise<number> {
    return this.engine.clear()
  }
  get(id: string): Promise<VectorEntry | null> {
    return this.engine.get(id)
  }
  search(query: VectorInput, options?: SearchOptions): Promise<SearchResult[]> {
    return this.engine.search(query, options)
  }
  searchBatch(queries: VectorInput[] | Float32Array, options?: SearchOptions): Promise<SearchResult[][]> {
    return this.engine.searchBatch(queries, options)
  }
  count(): Promise<number> {
    return this.engine.count()
  }
  exists(id: string): Promise<boolean> {
    return this.engine.exists(id)
  }
  /** Makes every acknowledged write durable and releases the store; a caller's D-gent stays open. */
  close(): Promise<void> {
    return this.engine.close()
  }
  exportEntries(options?: { batchSize?: number }): AsyncIterable<ExportBatch> {
    return this.engine.exportEntries(options)
  }
  /** Rewrites the store to hold only live entries (the datum store's own `compact`, when it has one). */
  compact(): Promise<void> {
    return this.engine.compact()
  }
}

function isDgent(d: unknown): d is DgentProtocol {
  if (typeof d !== 'object' || d === null) return false
  const methods = ['put', 'get', 'delete', 'list', 'causalChain', 'exists', 'count', 'close'] as const
  return methods.every((m) => typeof (d as Record<string, unknown>)[m] === 'function')
}
