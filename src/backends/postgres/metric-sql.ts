/**
 * Each metric's pgvector operator and operator classes, and the protocol's scores from the
 * operator's value. pgvector's operators give exactly the protocol's distances:
 * `<=>` 1 − cos θ, `<#>` −a·b, `<->` ‖a−b‖₂, `<+>` ‖a−b‖₁.
 */
import type { DistanceMetric } from '../../types'

export interface MetricSql {
  operator: '<=>' | '<#>' | '<->' | '<+>'
  /** Operator-class suffix: `vector_<suffix>` / `halfvec_<suffix>`. */
  opclass: 'cosine_ops' | 'ip_ops' | 'l2_ops' | 'l1_ops'
  /** IVFFlat has no L1 operator class. */
  ivfflat: boolean
  /** Oldest pgvector that has the operator. */
  minVersion: [number, number]
  similarity(distance: number): number
}

export const METRIC_SQL: Record<DistanceMetric, MetricSql> = {
  cosine: { operator: '<=>', opclass: 'cosine_ops', ivfflat: true, minVersion: [0, 5], similarity: (d) => 1 - d },
  dot_product: { operator: '<#>', opclass: 'ip_ops', ivfflat: true, minVersion: [0, 5], similarity: (d) => -d },
  euclidean: { operator: '<->', opclass: 'l2_ops', ivfflat: true, minVersion: [0, 5], similarity: (d) => 1 / (1 + d) },
  manhattan: { operator: '<+>', opclass: 'l1_ops', ivfflat: false, minVersion: [0, 7], similarity: (d) => 1 / (1 + d) },
}

/** pgvector's limits (0.7+): `vector` columns up to 16,000 dims; indexes up to 2,000 (`halfvec`: 4,000). */
export const MAX_VECTOR_DIMS = 16_000
export const MAX_INDEX_DIMS = 2_000
export const MAX_HALFVEC_INDEX_DIMS = 4_000

export function parseVersion(v: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = v.split('.').map((x) => Number.parseInt(x, 10) || 0)
  return [major, minor, patch]
}

export function versionAtLeast(v: string, [major, minor]: [number, number]): boolean {
  const [a, b] = parseVersion(v)
  return a > major || (a === major && b >= minor)
}
