/**
 * The four metrics, mirroring crates/vgent-core/src/metric.rs and simd/: a scan ranks rows by a
 * *key* that is monotone in similarity (cos θ, a·b, −‖a−b‖², −‖a−b‖₁), and only kept keys are turned
 * into (similarity, distance) by `scoresFromKey` (../metric). Sums accumulate in float64; each key is then rounded to float32, as
 * the native key is a float32: the same overflow (a dot product or distance too big for float32
 * becomes ±Infinity) and the same tie granularity. Where float32 sums could overflow part-way (huge
 * vectors, told by Cauchy–Schwarz from the norms), dot products run the portable float32 kernel
 * (crates/vgent-core/src/simd/scalar.rs) step for step, so that +∞ meeting −∞ is NaN as in native.
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
 * cosine, a norm whose inverse is a positive finite float32. Returns Σx² (float64).
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
  const inv = inverseNorm(sq)
  if (metric === 'cosine' && !(Number.isFinite(inv) && inv > 0)) {
    throw coreError(
      ErrorCode.INVALID_VECTOR,
      `${what} is a zero vector (or too small to normalise in float32): cosine is undefined`,
    )
  }
  return sq
}

/** 1/‖v‖ as the float32 the native core keeps (Infinity for a vector too small to normalise). */
export function inverseNorm(sq: number): number {
  return Math.fround(1 / Math.sqrt(sq))
}

/** Norms whose product stays below this cannot overflow a float32 dot product, even part-way. */
const SAFE_NORM_PRODUCT = 1e38

/** True when q·row, for ‖q‖² = `qSq` and rows of norm ≤ `maxRowNorm`, needs the float32 kernel. */
export function needsFloat32Kernel(qSq: number, maxRowNorm: number): boolean {
  return Math.sqrt(qSq) * maxRowNorm >= SAFE_NORM_PRODUCT
}

const lanes = new Float64Array(8)

/** The portable kernel's dot product, in float32 arithmetic: 8 lanes, a tail, then the lane sum. */
function dotFloat32(q: Float32Array, data: Float32Array, base: number, dim: number): number {
  const f = Math.fround
  lanes.fill(0)
  const full = dim - (dim % 8)
  for (let i = 0; i < full; i += 8) {
    for (let l = 0; l < 8; l++) lanes[l] = f(lanes[l] + f(q[i + l] * data[base + i + l]))
  }
  let tail = 0
  for (let i = full; i < dim; i++) tail = f(tail + f(q[i] * data[base + i]))
  let sum = 0
  for (let l = 0; l < 8; l++) sum = f(sum + lanes[l])
  return f(sum + tail)
}

/**
 * The ranking key of row `s` (at `data[s*dim ..]`) for query `q`: the native `scan_into` key.
 * `qInv`/`rowInv` are the float32 1/‖q‖ and 1/‖row‖, used by cosine only; `float32` asks for the
 * float32 dot kernel (see `needsFloat32Kernel`).
 */
export function rowKey(
  metric: Metric,
  q: Float32Array,
  data: Float32Array,
  s: number,
  dim: number,
  qInv: number,
  rowInv: number,
  float32: boolean,
): number {
  const base = s * dim
  let a0 = 0
  let a1 = 0
  let i = 0
  switch (metric) {
    case 'cosine':
    case 'dot_product': {
      let raw: number
      if (float32) raw = dotFloat32(q, data, base, dim)
      else {
        for (; i + 1 < dim; i += 2) {
          a0 += q[i] * data[base + i]
          a1 += q[i + 1] * data[base + i + 1]
        }
        if (i < dim) a0 += q[i] * data[base + i]
        raw = Math.fround(a0 + a1)
      }
      // Native: `raw * q_inv * inv_norm` in float32, left to right.
      return metric === 'cosine' ? Math.fround(Math.fround(raw * qInv) * rowInv) : raw
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
