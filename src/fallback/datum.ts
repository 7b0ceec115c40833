/**
 * `FallbackDgent`: the in-memory datum store (MemoryDgent) in TypeScript, mirroring
 * crates/vgent-core/src/datum.rs and its binding (crates/vgent-node/src/dgent.rs): put is an upsert,
 * `list` is newest first by (createdAt, write order) with a literal prefix, `after` keeping
 * createdAt > after and a default limit of 100, `causalChain` oldest first, ending at the id,
 * stopping at a missing parent or a repeated id. Time order is the native total order on float64,
 * in which −0 sorts before +0.
 */
import { ErrorCode } from '../errors'
import type { NativeDatum, NativeDgent } from '../native'
import { coreError, quote } from './error'

/** Room for any vector id (1 KiB) under any namespace prefix. */
export const MAX_DATUM_ID_BYTES = 2048
export const DEFAULT_LIST_LIMIT = 100

interface Slot {
  id: string
  content: Uint8Array
  createdAt: number
  causalParent: string | null
  /** Key/value pairs in the writer's order. */
  metadata: [string, string][]
  /** Order of the write: the later of two equal timestamps is the newer. */
  seq: number
}

/** The order of `time_key` in datum.rs: numeric, with −0 before +0. */
function compareTime(a: number, b: number): number {
  if (a !== b) return a < b ? -1 : 1
  if (a === 0) return (Object.is(a, -0) ? 0 : 1) - (Object.is(b, -0) ? 0 : 1)
  return 0
}

function compareSlots(a: Slot, b: Slot): number {
  return compareTime(a.createdAt, b.createdAt) || a.seq - b.seq
}

function checkId(id: string, what: string): void {
  const bytes = Buffer.byteLength(id, 'utf8')
  if (bytes === 0 || bytes > MAX_DATUM_ID_BYTES) {
    throw coreError(ErrorCode.INVALID_ID, `${what} must be 1 to ${MAX_DATUM_ID_BYTES} bytes of UTF-8, got ${bytes} bytes`)
  }
}

/** `parse_metadata` of the binding: a JSON object of strings. */
export function parseDatumMetadata(json: string): [string, string][] {
  const bad = (why: string) => coreError(ErrorCode.INVALID_ARGUMENT, `datum metadata ${why}`)
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch (e) {
    throw bad(`is not JSON: ${(e as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('must be an object')
  return Object.entries(v).map(([k, x]) => {
    if (typeof x !== 'string') throw bad(`value of ${quote(k)} must be a string`)
    return [k, x]
  })
}

/** JSON text of the pairs in their order (what the native binding hands out as `metadataJson`). */
export function datumMetadataJson(pairs: [string, string][]): string {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
}

function toNative(d: Slot): NativeDatum {
  const out: NativeDatum = { id: d.id, content: Buffer.from(d.content), createdAt: d.createdAt, metadataJson: datumMetadataJson(d.metadata) }
  if (d.causalParent !== null) out.causalParent = d.causalParent
  return out
}

/** The live datums: by id, and ascending by (createdAt, seq) for `list`. */
class Index {
  byId = new Map<string, Slot>()
  byTime: Slot[] = []
  nextSeq = 0

  /** Where `s` is (or would go) in `byTime`. */
  private position(s: Slot): number {
    let lo = 0
    let hi = this.byTime.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareSlots(this.byTime[mid], s) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  put(s: Slot): void {
    this.delete(s.id)
    this.byId.set(s.id, s)
    const last = this.byTime[this.byTime.length - 1]
    // Writes mostly arrive in time order: appending is the common case.
    if (last === undefined || compareSlots(last, s) < 0) this.byTime.push(s)
    else this.byTime.splice(this.position(s), 0, s)
  }

  delete(id: string): boolean {
    const old = this.byId.get(id)
    if (!old) return false
    this.byId.delete(id)
    this.byTime.splice(this.position(old), 1)
    return true
  }
}

export class FallbackDgent implements NativeDgent {
  private index: Index | null = new Index()

  private open(): Index {
    if (!this.index) throw coreError(ErrorCode.CLOSED, 'the D-gent store is closed')
    return this.index
  }

  put(id: string, content: Uint8Array, createdAt: number, causalParent: string | null, metadataJson: string): void {
    const metadata = parseDatumMetadata(metadataJson)
    const index = this.open()
    checkId(id, 'datum id')
    const parent = causalParent ?? null
    if (parent !== null) checkId(parent, 'causalParent')
    if (!Number.isFinite(createdAt)) {
      throw coreError(ErrorCode.INVALID_ARGUMENT, 'createdAt must be a finite number of milliseconds')
    }
    index.put({ id, content: new Uint8Array(content), createdAt, causalParent: parent, metadata, seq: index.nextSeq++ })
  }

  get(id: string): NativeDatum | null {
    const d = this.open().byId.get(id)
    return d ? toNative(d) : null
  }

  delete(id: string): boolean {
    return this.open().delete(id)
  }

  exists(id: string): boolean {
    return this.open().byId.has(id)
  }

  count(): number {
    return this.open().byId.size
  }

  list(prefix?: string | null, after?: number | null, limit?: number | null): NativeDatum[] {
    const index = this.open()
    const p = prefix ?? ''
    // The binding's saturating float → usize cast: NaN and negatives become 0, fractions truncate.
    const max = limit === null || limit === undefined ? DEFAULT_LIST_LIMIT : limit > 0 ? Math.floor(limit) : 0
    const out: NativeDatum[] = []
    for (let i = index.byTime.length - 1; i >= 0 && out.length < max; i--) {
      const d = index.byTime[i]
      if (after !== null && after !== undefined && compareTime(d.createdAt, after) <= 0) break
      if (d.id.startsWith(p)) out.push(toNative(d))
    }
    return out
  }

  causalChain(id: string): NativeDatum[] {
    const index = this.open()
    const chain: NativeDatum[] = []
    const seen = new Set<string>()
    let next: string | null = id
    while (next !== null && !seen.has(next)) {
      seen.add(next)
      const d = index.byId.get(next)
      if (!d) break
      chain.push(toNative(d))
      next = d.causalParent
    }
    return chain.reverse()
  }

  /** Nothing to make durable in memory. */
  async syncAsync(): Promise<void> {}

  /** Nothing to compact in memory (a closed store says so, as native does). */
  compact(): void {
    this.open()
  }

  /** Drops the store; later calls fail with CLOSED. Idempotent. */
  close(): void {
    this.index = null
  }
}
