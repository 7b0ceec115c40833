/**
 * An embedding cache keyed by (source, dimension, text): wrap any embedder in `CachedEmbedder` and
 * repeated texts are embedded once. One `EmbeddingCache` may be shared by several embedders; the
 * source and dimension in the key keep their vectors apart (one source may come in several widths,
 * e.g. HashEmbedder's buckets or a v3 OpenAI model's `dimensions`). Least-recently-used entries go first when it is full.
 */
import { Embedding } from '../embedding'
import { type EmbedBatchOptions, type Embedder, checkBatchOptions, checkOptionsObject, checkText, checkTexts, positiveInt } from './embedder'

export class EmbeddingCache {
  readonly maxEntries: number
  hits = 0
  misses = 0
  /** Map iteration order is insertion order: re-inserting on a hit makes it an LRU. */
  private readonly entries = new Map<string, Float32Array>()

  constructor(opts?: { maxEntries?: number }) {
    this.maxEntries = positiveInt(checkOptionsObject(opts, 'EmbeddingCache').maxEntries, 'maxEntries', 10_000)
  }

  get size(): number {
    return this.entries.size
  }

  get(source: string, dimension: number, text: string): Embedding | undefined {
    const k = key(source, dimension, text)
    const v = this.entries.get(k)
    if (v === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.entries.delete(k)
    this.entries.set(k, v)
    return new Embedding(v, { source })
  }

  set(source: string, text: string, embedding: Embedding): void {
    const k = key(source, embedding.dimension, text)
    this.entries.delete(k)
    this.entries.set(k, embedding.vector.slice())
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
  }

  clear(): void {
    this.entries.clear()
  }
}

function key(source: string, dimension: number, text: string): string {
  // The length prefix makes the split between source and text unambiguous whatever they contain.
  return `${dimension}:${source.length}:${source}:${text}`
}

export class CachedEmbedder implements Embedder {
  readonly cache: EmbeddingCache

  constructor(
    readonly inner: Embedder,
    opts?: { cache?: EmbeddingCache; maxEntries?: number },
  ) {
    const o = checkOptionsObject(opts, 'CachedEmbedder') as { cache?: EmbeddingCache; maxEntries?: number }
    this.cache = o.cache ?? new EmbeddingCache({ maxEntries: o.maxEntries })
  }

  get dimension(): number {
    return this.inner.dimension
  }

  get source(): string {
    return this.inner.source
  }

  async embed(text: string): Promise<Embedding> {
    checkText(text)
    const hit = this.cache.get(this.source, this.dimension, text)
    if (hit) return hit
    const e = await this.inner.embed(text)
    this.cache.set(this.source, text, e)
    return e
  }

  async embedBatch(texts: string[], opts?: EmbedBatchOptions): Promise<Embedding[]> {
    const checked = checkTexts(texts)
    const { onProgress } = checkBatchOptions(opts)
    const out = checked.map((t) => this.cache.get(this.source, this.dimension, t))
    // Each distinct missing text is embedded once, even when it repeats within the batch.
    const missing = [...new Set(checked.filter((_, i) => out[i] === undefined))]
    const cached = checked.length - out.filter((e) => e === undefined).length
    if (missing.length > 0) {
      const fresh = await this.inner.embedBatch(missing, {
        onProgress: onProgress && ((done, total) => onProgress(cached + Math.round(((checked.length - cached) * done) / total), checked.length)),
      })
      const byText = new Map(missing.map((t, i) => [t, fresh[i]]))
      for (const [t, e] of byText) this.cache.set(this.source, t, e)
      checked.forEach((t, i) => (out[i] ??= byText.get(t)))
    } else {
      onProgress?.(checked.length, checked.length)
    }
    return out as Embedding[]
  }
}
