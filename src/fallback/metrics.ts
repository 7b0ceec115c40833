/**
 * The four metrics, mirroring crates/vgent-core/src/metric.rs and simd/: a scan ranks rows by a
 * *key* that is monotone in similarity (cos θ, a·b, −‖a−b‖², −‖a−b‖₁), and only kept keys are turned
 * into (similarity, distance). Sums accumulate in float64; each key is then rounded to float32, as
 * the native key is a float32: the same overflow (a dot product or distance too big for float32
 * becomes ±Infinity) and the same tie granularity.
 */
import { ErrorCode } from '../errors'
import { coreError } from './error'

export type Metric = 'cosine' | 'euclidean' | 'dot_product' | 'manhattan'

export function parseMetric(name: string): Metric {
  if (name === 'cosine' || name === 'euclidean' || name === 'dot_product' || name === 'manhattan') return name
  throw coreError(
    ErrorCode.INVALID_ARGUMENT,
    `unknown metric ${JSON.stringify(name)}: expected cosine, euclidean, dot_product or manhattan`,
  )
}

/** How Rust prints an f32 that is not finite. */
function showNonFinite(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  return x > 0 ? 'inf' : '-inf'
}

/**
 * Checks one vector (`v[at .. at+dim]`) as `Collection::check_vector` does: finite values and, under
 * cosine, a norm whose inverse is a positive finite float32. Returns 1/‖v‖ (float64).
 */
export function checkVector(v: Float32Array, at: number, dim: number, metric: Metric, what: string): number {
  let sq = 0
  for (let i = at; i < at + dim; i++) sq += v[i] * v[i]
  if (!Number.isFinite(sq)) {
    for (let i = at; i < at + dim; i++) {
      if (!Number.isFinite(v[i])) {
        throw coreError(ErrorCode.INVALID_VECTOR, `${what} has a non-finite value (${showNonFinite(v[i])}) at index ${i - at}`)
      }
    }
  }
  const inv = 1 / Math.sqrt(sq)
  const inv32 = Math.fround(inv)
  if (metric === 'cosine' && !(Number.isFinite(inv32) && inv32 > 0)) {
    throw coreError(
      ErrorCode.INVALID_VECTOR,
      `${what} is a zero vector (or too small to normalise in float32): cosine is undefined`,
    )
  }
  return inv
}

/**
 * The ranking key of row `s` (at `data[s*dim ..]`) for query `q`: the native `scan_into` key.
 * `qInv`/`rowInv` are 1/‖q‖ and 1/‖row‖, used by cosine only.
 */
export function rowKey(metric: Metric, q: Float32Array, data: Float32Array, s: number, dim: number, qInv: number, rowInv: number): number {
  const base = s * dim
  let a0 = 0
  let a1 = 0
  let i = 0
  switch (metric) {
    case 'cosine':
    case 'dot_product': {
      for (; i + 1 < dim; i += 2) {
        a0 += q[i] * data[base + i]
        a1 += q[i + 1] * data[base + i + 1]
      }
      if (i < dim) a0 += q[i] * data[base + i]
      const dot = a0 + a1
      return metric === 'cosine' ? Math.fround(dot * qInv * rowInv) : Math.fround(dot)
    }
    case 'euclidean': {
      for (; i + 1 < dim; i += 2) {
        const d0 = q[i] - data[base + i]
        const d1 = q[i + 1] - data[base + i + 1]
        a0 += d0 * d0
        a1 += d1 * d1
      }
      if (i < dim) {
        const d = q[i] - data[base + i]
        a0 += d * d
      }
      return -Math.fround(a0 + a1)
    }
    case 'manhattan': {
      for (; i + 1 < dim; i += 2) {
        a0 += Math.abs(q[i] - data[base + i])
        a1 += Math.abs(q[i + 1] - data[base + i + 1])
      }
      if (i < dim) a0 += Math.abs(q[i] - data[base + i])
      return -Math.fround(a0 + a1)
    }
  }
}

/** `Metric::key_to_scores`: a kept key as (similarity, distance). */
export function keyToScores(metric: Metric, key: number): { similarity: number; distance: number } {
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
