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

/// Four queries against each `dim`-wide row of `rows`: each row is loaded once for all four, which
/// relieves the load ports that bound the one-query loop. Each query's sum is formed with exactly the
/// operations and order of `dot` (same accumulators, same steps, same tail, same reduction), so every
/// score is bit-identical to `dot(q, row)`. The caller guarantees AVX-512F, that every query is `dim`
/// long, and that each `out` has room for one score per row.
// Index loops: `s` and `j` address the accumulators, the pointers and the offsets in lockstep.
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn dot_rows4(qs: [&[f32]; 4], dim: usize, rows: &[f32], out: [&mut [f32]; 4]) {
    let [o0, o1, o2, o3] = out;
    let count = (rows.len() / dim.max(1))
        .min(o0.len())
        .min(o1.len())
        .min(o2.len())
        .min(o3.len());
    if dim == 0 || qs.iter().any(|q| q.len() < dim) {
        return;
    }
    let p = [
        qs[0].as_ptr(),
        qs[1].as_ptr(),
        qs[2].as_ptr(),
        qs[3].as_ptr(),
    ];
    for r in 0..count {
        let pr = rows.as_ptr().add(r * dim);
        let mut acc = [[_mm512_setzero_ps(); 4]; 4];
        let mut i = 0;
        while i + 64 <= dim {
            for s in 0..4 {
                let y = _mm512_loadu_ps(pr.add(i + 16 * s));
                for j in 0..4 {
                    let x = _mm512_loadu_ps(p[j].add(i + 16 * s));
                    acc[j][s] = _mm512_fmadd_ps(x, y, acc[j][s]);
                }
            }
            i += 64;
        }
        while i + 16 <= dim {
            let y = _mm512_loadu_ps(pr.add(i));
            for j in 0..4 {
                acc[j][0] = _mm512_fmadd_ps(_mm512_loadu_ps(p[j].add(i)), y, acc[j][0]);
            }
            i += 16;
        }
        if i < dim {
            let mask: __mmask16 = ((1u32 << (dim - i)) - 1) as __mmask16;
            let y = _mm512_maskz_loadu_ps(mask, pr.add(i));
            for j in 0..4 {
                let x = _mm512_maskz_loadu_ps(mask, p[j].add(i));
                acc[j][1] = _mm512_fmadd_ps(x, y, acc[j][1]);
            }
        }
        let sum = |a: [__m512; 4]| {
            _mm512_reduce_add_ps(_mm512_add_ps(
                _mm512_add_ps(a[0], a[1]),
                _mm512_add_ps(a[2], a[3]),
            ))
        };
        o0[r] = sum(acc[0]);
        o1[r] = sum(acc[1]);
        o2[r] = sum(acc[2]);
        o3[r] = sum(acc[3]);
    }
}
