//! AVX-512F kernels: four 16-lane accumulators (64 floats per step), a masked load for the tail.
//!
//! Safety for every function here: the caller guarantees AVX-512F (see `Kernels::for_isa`); loads stay
//! inside `0..n` with `n = min(a.len(), b.len())`, and the masked tail load does not touch lanes that
//! are masked off (masked-off lanes never fault).
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn fold(a: &[f32], b: &[f32], step: impl Fn(__m512, __m512, __m512) -> __m512) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    while i + 64 <= n {
        for (j, slot) in acc.iter_mut().enumerate() {
            let x = _mm512_loadu_ps(pa.add(i + 16 * j));
            let y = _mm512_loadu_ps(pb.add(i + 16 * j));
            *slot = step(*slot, x, y);
        }
        i += 64;
    }
    while i + 16 <= n {
        acc[0] = step(
            acc[0],
            _mm512_loadu_ps(pa.add(i)),
            _mm512_loadu_ps(pb.add(i)),
        );
        i += 16;
    }
    if i < n {
        let mask: __mmask16 = ((1u32 << (n - i)) - 1) as __mmask16;
        let x = _mm512_maskz_loadu_ps(mask, pa.add(i));
        let y = _mm512_maskz_loadu_ps(mask, pb.add(i));
        // Masked-off lanes are 0 in both, so they add 0 for every step below.
        acc[1] = step(acc[1], x, y);
    }
    let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_reduce_add_ps(sum)
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
    fold(a, b, |acc, x, y| _mm512_fmadd_ps(x, y, acc))
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    fold(a, b, |acc, x, y| {
        let d = _mm512_sub_ps(x, y);
        _mm512_fmadd_ps(d, d, acc)
    })
}

#[target_feature(enable = "avx512f")]
pub(super) unsafe fn l1(a: &[f32], b: &[f32]) -> f32 {
    fold(a, b, |acc, x, y| {
        _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(x, y)))
    })
}

super::row_kernels!("avx512f");
