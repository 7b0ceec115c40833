/**
 * Order-independent fingerprint of a store: entry count and the XOR of SHA-256(id · 0 · vector bytes),
 * with -0 written as +0 (equal values; some tiers, pgvector among them, do not keep the sign of zero).
 */
import { createHash } from 'node:crypto'
import type { Exportable } from '../types'

export interface StoreDigest {
  count: number
  checksum: string
}

export async function digestStore(store: Exportable, dimension: number): Promise<StoreDigest> {
  const acc = Buffer.alloc(32)
  let count = 0
  const zero = Buffer.from([0])
  for await (const b of store.exportEntries({ batchSize: 10_000 })) {
    const values = Float32Array.from(b.vectors)
    for (let i = 0; i < values.length; i++) if (values[i] === 0) values[i] = 0
    const bytes = Buffer.from(values.buffer)
    const rowBytes = dimension * 4
    for (let i = 0; i < b.ids.length; i++) {
      const h = createHash('sha256').update(b.ids[i], 'utf8').update(zero).update(bytes.subarray(i * rowBytes, (i + 1) * rowBytes)).digest()
      for (let j = 0; j < 32; j++) acc[j] ^= h[j]
    }
    count += b.ids.length
  }
  return { count, checksum: acc.toString('hex') }
}
