/** Splits texts into request-sized batches under an item count and a size budget. */

/**
 * Consecutive index ranges [start, end) of `texts`, each with at most `maxItems` texts whose
 * UTF-8 sizes add up to at most `maxBytes`. A text larger than `maxBytes` on its own gets a
 * range of its own (the server then judges it). UTF-8 bytes bound BPE tokens from above (every
 * token is at least one byte), so a byte budget is a safe token budget.
 */
export function chunkRanges(texts: readonly string[], maxItems: number, maxBytes: number): [number, number][] {
  const ranges: [number, number][] = []
  let start = 0
  let bytes = 0
  for (let i = 0; i < texts.length; i++) {
    const size = Buffer.byteLength(texts[i], 'utf8')
    if (i > start && (i - start >= maxItems || bytes + size > maxBytes)) {
      ranges.push([start, i])
      start = i
      bytes = 0
    }
    bytes += size
  }
  if (start < texts.length) ranges.push([start, texts.length])
  return ranges
}
