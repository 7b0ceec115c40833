//! Portable kernels and the oracle for the SIMD ones. Eight independent accumulators let the compiler
//! vectorise the loops for the baseline target without reassociating a single sum.
const LANES: usize = 8;

pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    reduce(a, b, |x, y| x * y)
}

pub(super) fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    reduce(a, b, |x, y| (x - y) * (x - y))
}

pub(super) fn l1(a: &[f32], b: &[f32]) -> f32 {
    reduce(a, b, |x, y| (x - y).abs())
}

#[inline(always)]
fn reduce(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += term(x[l], y[l]);
        }
    }
    let mut tail = 0.0;
    for (x, y) in ta.iter().zip(tb) {
        tail += term(*x, *y);
    }
    acc.iter().sum::<f32>() + tail
}

super::row_kernels!();
