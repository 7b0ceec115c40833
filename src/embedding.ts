import { ErrorCode, VgentError } from './errors'
import { checkMetric, pairScores } from './metric'
import type { DistanceMetric, VectorInput } from './types'

/** A vector with the name of what produced it (`source`, e.g. `openai/text-embedding-3-small`). */
export class Embedding {
  readonly vector: Float32Array
  readonly source: string

  constructor(vector: ArrayLike<number>, opts: { source?: string } = {}) {
    if (vector == null || typeof (vector as ArrayLike<number>).length !== 'number') {
      throw new VgentError(ErrorCode.INVALID_VECTOR, 'an Embedding needs an array of numbers')
    }
    // Always a private copy: the caller's array may change later.
    this.vector = Float32Array.from(vector)
    this.source = opts.source ?? 'unknown'
  }

  get dimension(): number {
    return this.vector.length
  }

  similarity(other: VectorInput, metric: DistanceMetric = 'cosine'): number {
    return this.scores(other, metric).similarity
  }

  distance(other: VectorInput, metric: DistanceMetric = 'cosine'): number {
    return this.scores(other, metric).distance
  }

  private scores(other: VectorInput, metric: DistanceMetric) {
    const o = other instanceof Embedding ? other.vector : other
    if (o == null || o.length !== this.vector.length) {
      throw new VgentError(
        ErrorCode.DIMENSION_MISMATCH,
        `cannot compare a ${this.vector.length}-dimensional embedding with a ${o?.length}-dimensional vector`,
      )
    }
    return pairScores(this.vector, o, checkMetric(metric))
  }
}
