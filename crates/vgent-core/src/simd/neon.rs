//! NEON kernels for aarch64 (NEON is part of the aarch64 baseline): four 4-lane accumulators.
//!
//! Safety for every function here: NEON is always present on aarch64; loads stay inside `0..n` with
//! `n = min(a.len(), b.len())`.
use std::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn fold(
    a: &[f32],
    b: &[f32],
    step: impl Fn(float32x4_t, float32x4_t, float32x4_t) -> float32x4_t,
    tail: impl Fn(f32, f32) -> f32,
) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [vdupq_n_f32(0.0); 4];
    let mut i = 0;
    while i + 16 <= n {
        for (j, slot) in acc.iter_mut().enumerate() {
            *slot = step(
                *slot,
                vld1q_f32(pa.add(i + 4 * j)),
                vld1q_f32(pb.add(i + 4 * j)),
            );
        }
        i += 16;
    }
    while i + 4 <= n {
        acc[0] = step(acc[0], vld1q_f32(pa.add(i)), vld1q_f32(pb.add(i)));
        i += 4;
    }
    let mut rest = 0.0;
    while i < n {
        rest += tail(*pa.add(i), *pb.add(i));
        i += 1;
    }
    vaddvq_f32(vaddq_f32(
        vaddq_f32(acc[0], acc[1]),
        vaddq_f32(acc[2], acc[3]),
    )) + rest
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
    fold(a, b, |acc, x, y| vfmaq_f32(acc, x, y), |x, y| x * y)
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    fold(
        a,
        b,
        |acc, x, y| {
            let d = vsubq_f32(x, y);
            vfmaq_f32(acc, d, d)
        },
        |x, y| (x - y) * (x - y),
    )
}

#[target_feature(enable = "neon")]
pub(super) unsafe fn l1(a: &[f32], b: &[f32]) -> f32 {
    fold(
        a,
        b,
        |acc, x, y| vaddq_f32(acc, vabdq_f32(x, y)),
        |x, y| (x - y).abs(),
    )
}

super::row_kernels!("neon");
