/**
 * HashEmbedder: feature hashing of words. Deterministic, dependency-free and bit-identical on every
 * platform, Node version and run, so it suits tests, demos and pipelines that only need a stable
 * vector per text. It is NOT semantic: texts score as similar only when they share words
 * ("car" and "automobile" are unrelated to it). Use OpenAIEmbedder or LocalEmbedder for meaning.
 *
 * The algorithm (source `local/hash`), fully specified so any language can reproduce it:
 *  1. Encode the text as UTF-8.
 *  2. Tokens are the maximal runs of bytes that are ASCII letters or digits or any byte >= 0x80
 *     (so non-ASCII text stays in its token); every other ASCII byte separates. ASCII A-Z are
 *     lowered to a-z. (Bytes only: no Unicode tables, whose versions differ between runtimes.)
 *  3. Each token's bytes hash to h = fmix32(fnv1a32(bytes)): 32-bit FNV-1a (offset basis
 *     2166136261, prime 16777619), then MurmurHash3's 32-bit finalizer (h ^= h >>> 16;
 *     h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16, all mod 2^32), which mixes
 *     FNV's weak high bits. The token adds +1 to bucket `h mod dimension` when bit 31 of h is 0,
 *     else -1 (signed hashing: collisions cancel out on average instead of piling up).
 *  4. If every bucket is then 0 (empty text, punctuation only, or collisions cancelling out),
 *     bucket `h(all UTF-8 bytes of the text) mod dimension` is set to 1: never a zero vector,
 *     which cosine could not compare.
 *  5. Divide by the L2 norm in float64, then round each component to float32.
 */
import { Embedding } from '../embedding'
import { checkDimension } from '../validate'
import {
  type EmbedBatchOptions,
  type Embedder,
  checkBatchOptions,
  checkOptionsObject,
  checkText,
  checkTexts,
  normalizeInPlace,
} from './embedder'

export interface HashEmbedderOptions {
  /** Number of buckets, 1..65536; default 64. */
  dimension?: number
}

const FNV_OFFSET = 2166136261
const FNV_PRIME = 16777619

function isTokenByte(b: number): boolean {
  return b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
}

function fnv1a(bytes: Uint8Array): number {
  let h = FNV_OFFSET
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME) >>> 0
  return h
}

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The algorithm above, as float64 before the final rounding. */
export function hashFeatures(text: string, dimension: number): Float64Array {
  const bytes = Buffer.from(text, 'utf8')
  const acc = new Float64Array(dimension)
  let h = FNV_OFFSET
  let inToken = false
  const flush = () => {
    const m = fmix32(h)
    acc[m % dimension] += m >>> 31 === 0 ? 1 : -1
    h = FNV_OFFSET
    inToken = false
  }
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i]
    if (!isTokenByte(b)) {
      if (inToken) flush()
      continue
    }
    if (b >= 0x41 && b <= 0x5a) b += 0x20
    h = Math.imul(h ^ b, FNV_PRIME) >>> 0
    inToken = true
  }
  if (inToken) flush()
  if (acc.every((x) => x === 0)) acc[fmix32(fnv1a(bytes)) % dimension] = 1
  return normalizeInPlace(acc)
}

export class HashEmbedder implements Embedder {
  readonly dimension: number
  readonly source = 'local/hash'

  constructor(opts?: HashEmbedderOptions) {
    const o = checkOptionsObject(opts, 'HashEmbedder')
    this.dimension = o.dimension === undefined ? 64 : checkDimension(o.dimension)
  }

  async embed(text: string): Promise<Embedding> {
    return new Embedding(hashFeatures(checkText(text), this.dimension), { source: this.source })
  }

  async embedBatch(texts: string[], opts?: EmbedBatchOptions): Promise<Embedding[]> {
    const checked = checkTexts(texts)
    const { onProgress } = checkBatchOptions(opts)
    const out = checked.map((t) => new Embedding(hashFeatures(t, this.dimension), { source: this.source }))
    onProgress?.(out.length, out.length)
    return out
  }
}
