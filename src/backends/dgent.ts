/**
 * The D-gent tier's fast path: the native log-backed store. Every write is appended to the store's
 * log before it is applied, and acknowledged only once durable (fsync by default, grouped across
 * concurrent writers). The log is replayed on open.
 */
import * as os from 'node:os'
import * as path from 'node:path'
import { ErrorCode, VgentError, callNative, fromNative } from '../errors'
import { checkMetric } from '../metric'
import { native } from '../native'
import type { DistanceMetric } from '../types'
import { checkDimension } from '../validate'
import { NativeVectorStore } from './native-store'

export interface DgentBackendOptions {
  dimension: number
  metric?: DistanceMetric
  /** Default `default`. Letters, digits, `_`, `-` and `.`; one directory per namespace. */
  namespace?: string
  /** Overrides `$KGENTS_DATA_ROOT/vectors/<namespace>/` (else `~/.kgents/vectors/<namespace>/`). */
  dataDir?: string
  /** `fsync` (default): acknowledged after fsync. `none`: after the OS has the bytes (survives a crash of this process, not of the machine). */
  durability?: 'fsync' | 'none'
}

const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** Where a namespace's files live when no `dataDir` is given. */
export function defaultDataDir(namespace: string): string {
  const root = process.env.KGENTS_DATA_ROOT || path.join(os.homedir(), '.kgents')
  return path.join(root, 'vectors', namespace)
}

export class DgentVectorBackend extends NativeVectorStore {
  readonly dataDir: string
  private readonly fsync: boolean

  private constructor(dimension: number, metric: DistanceMetric, dataDir: string, fsync: boolean) {
    super(dimension, metric, callNative(() => native().NativeCollection.openPersistent(dataDir, dimension, metric, fsync)))
    this.dataDir = dataDir
    this.fsync = fsync
  }

  static async open(opts: DgentBackendOptions): Promise<DgentVectorBackend> {
    if (typeof opts !== 'object' || opts === null) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'DgentVectorBackend.open needs options { dimension, metric?, namespace?, dataDir? }')
    }
    const dimension = checkDimension(opts.dimension)
    const metric = checkMetric(opts.metric ?? 'cosine')
    const namespace = opts.namespace ?? 'default'
    if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `namespace ${JSON.stringify(namespace)} must match ${NAMESPACE}`)
    }
    const durability = opts.durability ?? 'fsync'
    if (durability !== 'fsync' && durability !== 'none') {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `durability must be 'fsync' or 'none', got ${JSON.stringify(durability)}`)
    }
    const dataDir = path.resolve(opts.dataDir ?? defaultDataDir(namespace))
    return new DgentVectorBackend(dimension, metric, dataDir, durability === 'fsync')
  }

  protected override async afterWrite(): Promise<void> {
    if (!this.fsync) return
    try {
      await this.native.syncAsync()
    } catch (e) {
      throw fromNative(e)
    }
  }

  /** Rewrites the log to hold only live entries, swapped in atomically. */
  async compact(): Promise<void> {
    await this.op(true, () => this.native.compact())
  }
}
