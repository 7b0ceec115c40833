/**
 * The datum protocol over the native datum store, shared by `MemoryDgent` and `FileDgent`. Native
 * calls are short and run on the JS thread, in call order; a file store's write is acknowledged only
 * after its fsync, which runs on the pool and is shared by every write waiting for it.
 */
import { ErrorCode, VgentError, callNative, fromNative } from '../errors'
import type { NativeDatum, NativeDgent } from '../native'
import type { Datum, DgentListOptions, DgentProtocol } from './types'
import { checkDatum, checkDatumId, checkListOptions } from './validate'

function toDatum(n: NativeDatum): Datum {
  return {
    id: n.id,
    // A plain Uint8Array view of the native copy: callers own it, no second copy.
    content: new Uint8Array(n.content.buffer, n.content.byteOffset, n.content.byteLength),
    createdAt: n.createdAt,
    causalParent: n.causalParent ?? null,
    metadata: JSON.parse(n.metadataJson) as Record<string, string>,
  }
}

export abstract class NativeDgentStore implements DgentProtocol {
  private closed = false

  protected constructor(
    protected readonly native: NativeDgent,
    private readonly durable: boolean,
  ) {}

  protected call<T>(f: () => T): T {
    if (this.closed) throw new VgentError(ErrorCode.CLOSED, 'the D-gent store is closed')
    return callNative(f)
  }

  /** Resolves once every write made so far is durable (a no-op in memory or with durability 'none'). */
  protected async acknowledge(): Promise<void> {
    if (!this.durable) return
    try {
      await this.native.syncAsync()
    } catch (e) {
      throw fromNative(e)
    }
  }

  async put(datum: Datum): Promise<string> {
    const d = checkDatum(datum)
    this.call(() => this.native.put(d.id, d.content, d.createdAt, d.causalParent, d.metadataJson))
    await this.acknowledge()
    return d.id
  }

  async get(id: string): Promise<Datum | null> {
    checkDatumId(id)
    const n = this.call(() => this.native.get(id))
    return n ? toDatum(n) : null
  }

  async delete(id: string): Promise<boolean> {
    checkDatumId(id)
    const removed = this.call(() => this.native.delete(id))
    if (removed) await this.acknowledge()
    return removed
  }

  async list(opts?: DgentListOptions): Promise<Datum[]> {
    const o = checkListOptions(opts)
    return this.call(() => this.native.list(o.prefix, o.after, o.limit)).map(toDatum)
  }

  async causalChain(id: string): Promise<Datum[]> {
    checkDatumId(id)
    return this.call(() => this.native.causalChain(id)).map(toDatum)
  }

  async exists(id: string): Promise<boolean> {
    checkDatumId(id)
    return this.call(() => this.native.exists(id))
  }

  async count(): Promise<number> {
    return this.call(() => this.native.count())
  }

  /** Makes every write durable, then releases the store (and a file store's lock). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    callNative(() => this.native.close())
  }
}
