//! AVX2 + FMA kernels: four 8-lane accumulators (32 floats per step), a scalar tail.
//!
//! Safety for every function here: the caller guarantees AVX2 and FMA (see `Kernels::for_isa`); loads
//! stay inside `0..n` with `n = min(a.len(), b.len())`.
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn fold(
    a: &[f32],
    b: &[f32],
    step: impl Fn(__m256, __m256, __m256) -> __m256,
    tail: impl Fn(f32, f32) -> f32,
) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (j, slot) in acc.iter_mut().enumerate() {
            let x = _mm256_loadu_ps(pa.add(i + 8 * j));
            let y = _mm256_loadu_ps(pb.add(i + 8 * j));
            *slot = step(*slot, x, y);
        }
        i += 32;
    }
    while i + 8 <= n {
        acc[0] = step(
            acc[0],
            _mm256_loadu_ps(pa.add(i)),
            _mm256_loadu_ps(pb.add(i)),
        );
        i += 8;
    }
    let mut rest = 0.0;
    while i < n {
        rest += tail(*pa.add(i), *pb.add(i));
        i += 1;
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    hsum(sum) + rest
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
    fold(a, b, |acc, x, y| _mm256_fmadd_ps(x, y, acc), |x, y| x * y)
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    fold(
        a,
        b,
        |acc, x, y| {
            let d = _mm256_sub_ps(x, y);
            _mm256_fmadd_ps(d, d, acc)
        },
        |x, y| (x - y) * (x - y),
    )
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn l1(a: &[f32], b: &[f32]) -> f32 {
    fold(
        a,
        b,
        |acc, x, y| {
            // Clearing the sign bit is |x − y|.
            let d = _mm256_sub_ps(x, y);
            _mm256_add_ps(acc, _mm256_andnot_ps(_mm256_set1_ps(-0.0), d))
        },
        |x, y| (x - y).abs(),
    )
}

super::row_kernels!("avx2,fma");
