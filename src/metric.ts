import { ErrorCode, VgentError } from './errors'
import { DistanceMetric } from './types'

const METRICS = new Set<string>(Object.values(DistanceMetric))

export function checkMetric(metric: unknown): DistanceMetric {
  if (typeof metric !== 'string' || !METRICS.has(metric)) {
    throw new VgentError(
      ErrorCode.INVALID_ARGUMENT,
      `unknown metric ${JSON.stringify(metric)}: expected one of ${[...METRICS].join(', ')}`,
    )
  }
  return metric as DistanceMetric
}

/**
 * Similarity and distance from a ranking key (cos θ, a·b, −‖a−b‖², −‖a−b‖₁): the protocol's one
 * definition of the two scores (`Metric::key_to_scores` in the native core).
 */
export function scoresFromKey(metric: DistanceMetric, key: number): { similarity: number; distance: number } {
  switch (metric) {
    case 'cosine': {
      const cos = Math.min(1, Math.max(-1, key))
      return { similarity: cos, distance: 1 - cos }
    }
    case 'dot_product':
      return { similarity: key, distance: -key }
    case 'euclidean': {
      const d = Math.sqrt(Math.max(-key, 0))
      return { similarity: 1 / (1 + d), distance: d }
    }
    case 'manhattan': {
      const d = Math.max(-key, 0)
      return { similarity: 1 / (1 + d), distance: d }
    }
  }
}

/**
 * Similarity and distance of one pair, in float64, by the protocol's definitions. Used for single
 * pairs (`Embedding.similarity`); stores compute in their core.
 */
export function pairScores(a: ArrayLike<number>, b: ArrayLike<number>, metric: DistanceMetric): { similarity: number; distance: number } {
  let dot = 0
  let na = 0
  let nb = 0
  let l2 = 0
  let l1 = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    dot += x * y
    na += x * x
    nb += y * y
    l2 += (x - y) * (x - y)
    l1 += Math.abs(x - y)
  }
  switch (metric) {
    case 'cosine':
      if (na === 0 || nb === 0) {
        throw new VgentError(ErrorCode.INVALID_VECTOR, 'cosine is undefined for a zero vector')
      }
      return scoresFromKey(metric, dot / Math.sqrt(na * nb))
    case 'dot_product':
      return scoresFromKey(metric, dot)
    case 'euclidean':
      return scoresFromKey(metric, -l2)
    case 'manhattan':
      return scoresFromKey(metric, -l1)
  }
}
