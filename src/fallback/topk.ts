/**
 * Bounded exact top-k, mirroring crates/vgent-core/src/topk.rs: higher key first, ties broken by id
 * ascending in UTF-8 byte order (Rust's `str` order), NaN keys ranked last. Ids in a collection are
 * unique, so the order is total and the result does not depend on how candidates arrive.
 */

/** Compares two strings by their UTF-8 bytes (= by code point), not by UTF-16 code units. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Surrogates (code points ≥ U+10000) sort after U+E000..U+FFFF in UTF-8; elsewhere the
      // code unit order is the code point order.
      if (x >= 0xd800 && y >= 0xd800) return surrogateLast(x) - surrogateLast(y)
      return x - y
    }
  }
  return a.length - b.length
}

function surrogateLast(c: number): number {
  return c <= 0xdfff ? c + 0x2000 : c - 0x800
}

/** Collects the best `k` of the (key, slot) pairs offered; `ids[slot]` breaks ties. */
export class TopK {
  private readonly keys: Float64Array
  private readonly slots: Uint32Array
  private len = 0

  constructor(
    private readonly k: number,
    private readonly ids: readonly string[],
  ) {
    const cap = Math.max(0, Math.min(k, ids.length))
    this.keys = new Float64Array(cap)
    this.slots = new Uint32Array(cap)
  }

  /** True when candidate `i` ranks after (is worse than) candidate `j`. */
  private worse(ki: number, si: number, kj: number, sj: number): boolean {
    if (ki !== kj) return ki < kj
    return compareUtf8(this.ids[si], this.ids[sj]) > 0
  }

  push(key: number, slot: number): void {
    if (this.k === 0) return
    if (Number.isNaN(key)) key = -Infinity
    const keys = this.keys
    const slots = this.slots
    if (this.len === keys.length) {
      // The root is the worst kept: most rows of a big scan stop at this first comparison.
      if (key < keys[0]) return
      if (!this.worse(keys[0], slots[0], key, slot)) return
      keys[0] = key
      slots[0] = slot
      this.siftDown(0)
    } else {
      keys[this.len] = key
      slots[this.len] = slot
      this.siftUp(this.len++)
    }
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i]
    this.keys[i] = this.keys[j]
    this.keys[j] = k
    const s = this.slots[i]
    this.slots[i] = this.slots[j]
    this.slots[j] = s
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.worse(this.keys[i], this.slots[i], this.keys[p], this.slots[p])) break
      this.swap(i, p)
      i = p
    }
  }

  private siftDown(i: number): void {
    const n = this.len
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let w = i
      if (l < n && this.worse(this.keys[l], this.slots[l], this.keys[w], this.slots[w])) w = l
      if (r < n && this.worse(this.keys[r], this.slots[r], this.keys[w], this.slots[w])) w = r
      if (w === i) return
      this.swap(i, w)
      i = w
    }
  }

  /** The kept candidates, best first. */
  sorted(): { key: number; slot: number }[] {
    const out: { key: number; slot: number }[] = []
    for (let i = 0; i < this.len; i++) out.push({ key: this.keys[i], slot: this.slots[i] })
    const ids = this.ids
    return out.sort((a, b) => (a.key !== b.key ? b.key - a.key : compareUtf8(ids[a.slot], ids[b.slot])))
  }
}
