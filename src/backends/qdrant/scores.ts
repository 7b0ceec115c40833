/**
 * Metric names and score conventions. Qdrant reports cosine similarity and dot product as they are,
 * but Euclid and Manhattan as distances; vgent reports both a similarity (higher is better) and the
 * metric's own distance, identically on every tier.
 */
import type { DistanceMetric } from '../../types'

export type QdrantDistance = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan'

export const QDRANT_DISTANCE: Record<DistanceMetric, QdrantDistance> = {
  cosine: 'Cosine',
  dot_product: 'Dot',
  euclidean: 'Euclid',
  manhattan: 'Manhattan',
}

export interface Scores {
  similarity: number
  distance: number
}

/** The protocol's similarity and distance from the score Qdrant returned for a hit. */
export function fromQdrantScore(metric: DistanceMetric, score: number): Scores {
  switch (metric) {
    case 'cosine': {
      const cos = Math.min(1, Math.max(-1, score))
      return { similarity: cos, distance: 1 - cos }
    }
    case 'dot_product':
      return { similarity: score, distance: 0 - score }
    case 'euclidean':
    case 'manhattan': {
      const d = Math.max(0, score)
      return { similarity: 1 / (1 + d), distance: d }
    }
  }
}
