/**
 * The D-gent tier's fast path: the native log-backed vector store, everything in Rust. Every write is
 * appended to the store's log before it is applied, and acknowledged only once durable (fsync by
 * default, grouped across concurrent writers). The log is replayed on open, on the thread pool.
 */
import { fromNative } from '../errors'
import { native } from '../native'
import type { NativeCollection } from '../native'
import type { DistanceMetric } from '../types'
import { NativeVectorStore } from './native-store'

export class LogVectorStore extends NativeVectorStore {
  private constructor(
    dimension: number,
    metric: DistanceMetric,
    handle: NativeCollection,
    private readonly fsync: boolean,
  ) {
    super(dimension, metric, handle)
  }

  static async open(dir: string, dimension: number, metric: DistanceMetric, fsync: boolean, readOnly: boolean): Promise<LogVectorStore> {
    try {
      const handle = await native().openPersistentAsync(dir, dimension, metric, fsync, readOnly)
      return new LogVectorStore(dimension, metric, handle, fsync && !readOnly)
    } catch (e) {
      throw fromNative(e)
    }
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
