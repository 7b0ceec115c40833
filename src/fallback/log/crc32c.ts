/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every log record: the same
 * function as Rust's `crc32c` crate, computed slicing-by-8 (eight table lookups per eight bytes).
 */
const POLY = 0x82f63b78

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256))
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[0][b] = c >>> 0
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) t[k][b] = ((t[k - 1][b] >>> 8) ^ t[0][t[k - 1][b] & 0xff]) >>> 0
  }
  return t
})()

/** Continues the CRC `crc` (0 for a fresh one) over `bytes[start, end)`. */
export function crc32cAppend(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES
  let c = ~crc >>> 0
  let i = start
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0
    c =
      t7[lo & 0xff] ^
      t6[(lo >>> 8) & 0xff] ^
      t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^
      t3[bytes[i + 4]] ^
      t2[bytes[i + 5]] ^
      t1[bytes[i + 6]] ^
      t0[bytes[i + 7]]
  }
  for (; i < end; i++) c = (c >>> 8) ^ t0[(c ^ bytes[i]) & 0xff]
  return ~c >>> 0
}

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cAppend(0, bytes, start, end)
}
