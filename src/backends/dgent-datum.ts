/**
 * The D-gent tier over a caller's `DgentProtocol`: each vector is a datum (`<namespace>:<id>`, content
 * = float32 little-endian, vgent metadata as JSON in the datum's metadata), and the search index is
 * the native in-memory collection, rebuilt from `list` on open. This is how vgent joins an existing
 * D-gent lattice. Writes reach the datum store before the index; a failed multi-datum write is undone
 * datum by datum (atomic against errors; against a crash only as atomic as the datum store itself).
 */
import { ErrorCode, VgentError, callNative } from '../errors'
import type { Datum, DgentProtocol } from '../dgent/types'
import { native } from '../native'
import type { DistanceMetric, Metadata } from '../types'
import { NativeVectorStore, type StoreChange } from './native-store'

/** Big enough for "everything" from any sane `list` implementation (which must take a positive integer). */
const LIST_ALL = Number.MAX_SAFE_INTEGER
/** The datum-metadata key holding a vector's metadata as JSON. */
const METADATA_KEY = 'vgent.metadata'

/** Where a namespace records its dimension and metric: no colon, so it is never inside any `<ns>:` prefix. */
export function infoDatumId(namespace: string): string {
  return `.vgent/${namespace}`
}

interface StoreInfo {
  dimension: number
  metric: DistanceMetric
}

function corrupt(message: string): VgentError {
  return new VgentError(ErrorCode.STORE_CORRUPT, message)
}

export class DatumVectorStore extends NativeVectorStore {
  private readonly prefix: string

  private constructor(
    dimension: number,
    metric: DistanceMetric,
    private readonly dgent: DgentProtocol,
    namespace: string,
  ) {
    super(dimension, metric, callNative(() => new (native().NativeCollection)(dimension, metric)))
    this.prefix = `${namespace}:`
  }

  static async open(dgent: DgentProtocol, namespace: string, dimension: number, metric: DistanceMetric): Promise<DatumVectorStore> {
    await checkInfo(dgent, namespace, { dimension, metric })
    const store = new DatumVectorStore(dimension, metric, dgent, namespace)
    try {
      await store.rebuild()
    } catch (e) {
      await store.close()
      throw e
    }
    return store
  }

  /** Loads every vector datum of the namespace into the index in one bulk upsert. */
  private async rebuild(): Promise<void> {
    const datums = await this.dgent.list({ prefix: this.prefix, limit: LIST_ALL })
    const n = datums.length
    const bytesPerRow = this.dimension * 4
    const vectors = new Float32Array(n * this.dimension)
    const bytes = new Uint8Array(vectors.buffer)
    const ids: string[] = new Array(n)
    const metadata: Metadata[] = new Array(n)
    let anyMetadata = false
    datums.forEach((d, i) => {
      if (!d.id.startsWith(this.prefix)) throw corrupt(`list({ prefix: ${JSON.stringify(this.prefix)} }) returned datum ${JSON.stringify(d.id)}`)
      if (d.content.byteLength !== bytesPerRow) {
        throw corrupt(`datum ${JSON.stringify(d.id)} holds ${d.content.byteLength} bytes; a ${this.dimension}-dimensional vector is ${bytesPerRow}`)
      }
      ids[i] = d.id.slice(this.prefix.length)
      bytes.set(d.content, i * bytesPerRow)
      const json = d.metadata?.[METADATA_KEY]
      metadata[i] = json ? (JSON.parse(json) as Metadata) : {}
      anyMetadata ||= json !== undefined
    })
    try {
      this.native.upsert(ids, vectors, anyMetadata ? JSON.stringify(metadata) : null)
    } catch (e) {
      throw corrupt(`the vectors of namespace ${JSON.stringify(this.prefix.slice(0, -1))} do not load: ${(e as Error).message}`)
    }
  }

  protected override async persist(change: StoreChange): Promise<void> {
    switch (change.kind) {
      case 'upsert':
        return this.persistUpsert(change.ids, change.vectors, change.metadata)
      case 'remove':
        await this.dgent.delete(this.prefix + change.id)
        return
      case 'clear':
        return this.persistClear()
    }
  }

  private async persistUpsert(ids: string[], vectors: Float32Array, metadata: Metadata[] | undefined): Promise<void> {
    const bytesPerRow = this.dimension * 4
    const source = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength)
    // The state before this call of every key written so far, to undo on failure (first sighting wins).
    const before = new Map<string, Datum | null>()
    try {
      for (let i = 0; i < ids.length; i++) {
        const key = this.prefix + ids[i]
        if (!before.has(key)) before.set(key, await this.dgent.get(key))
        const md = metadata?.[i]
        await this.dgent.put({
          id: key,
          content: source.slice(i * bytesPerRow, (i + 1) * bytesPerRow),
          createdAt: Date.now(),
          causalParent: null,
          metadata: md && Object.keys(md).length > 0 ? { [METADATA_KEY]: JSON.stringify(md) } : {},
        })
      }
    } catch (e) {
      await this.undo(before)
      throw e
    }
  }

  private async persistClear(): Promise<void> {
    const all = await this.dgent.list({ prefix: this.prefix, limit: LIST_ALL })
    const before = new Map<string, Datum | null>()
    try {
      for (const d of all) {
        before.set(d.id, d)
        await this.dgent.delete(d.id)
      }
    } catch (e) {
      await this.undo(before)
      throw e
    }
  }

  /** Best effort: puts back what a failed write changed. */
  private async undo(before: Map<string, Datum | null>): Promise<void> {
    for (const [key, old] of [...before].reverse()) {
      try {
        if (old) await this.dgent.put(old)
        else await this.dgent.delete(key)
      } catch {
        // The datum store is failing; the original error is what the caller needs to see.
      }
    }
  }

  /** Compacts the datum store when it knows how. */
  async compact(): Promise<void> {
    const d = this.dgent as DgentProtocol & { compact?: () => Promise<void> }
    await this.op(true, async () => {
      if (typeof d.compact === 'function') await d.compact()
    })
  }
}

/** Records the namespace's dimension and metric on first use; refuses a mismatch after that. */
async function checkInfo(dgent: DgentProtocol, namespace: string, want: StoreInfo): Promise<void> {
  const id = infoDatumId(namespace)
  const found = await dgent.get(id)
  if (!found) {
    await dgent.put({ id, content: Buffer.from(JSON.stringify(want)), createdAt: Date.now(), causalParent: null, metadata: {} })
    return
  }
  let info: StoreInfo
  try {
    info = JSON.parse(Buffer.from(found.content).toString('utf8')) as StoreInfo
  } catch {
    throw corrupt(`datum ${JSON.stringify(id)} does not hold vgent store info`)
  }
  if (info.dimension !== want.dimension || info.metric !== want.metric) {
    throw new VgentError(
      ErrorCode.STORE_MISMATCH,
      `namespace ${JSON.stringify(namespace)} in this D-gent holds dimension ${info.dimension} with metric ${info.metric}; ` +
        `it was opened with dimension ${want.dimension} and metric ${want.metric}`,
    )
  }
}
