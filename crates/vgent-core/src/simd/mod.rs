//! Distance kernels, one file per instruction set, chosen once at start-up by CPU detection.
//!
//! The portable module (`scalar`) is the oracle: every other ISA is checked against it in the tests
//! below. The crate is built for the baseline CPU of its target (x86-64 v1 = SSE2), so one binary runs
//! everywhere; AVX2 and AVX-512 code lives in `#[target_feature]` functions that are only installed in
//! the dispatch table after the CPU has been seen to support them.
mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

use crate::metric::Metric;
use std::sync::OnceLock;

/// Generates the "one query against many rows" loops for an ISA module from its pair kernels, so each
/// loop is compiled with that module's target features and the pair kernel is inlined into it.
macro_rules! row_kernels {
    ($($feature:literal)?) => {
        $(#[target_feature(enable = $feature)])?
        /// # Safety
        /// The CPU must support this module's instruction set.
        pub(super) unsafe fn dot_rows(q: &[f32], rows: &[f32], out: &mut [f32]) {
            if q.is_empty() { return; }
            for (row, o) in rows.chunks_exact(q.len()).zip(out.iter_mut()) { *o = dot(q, row); }
        }
        $(#[target_feature(enable = $feature)])?
        /// # Safety
        /// The CPU must support this module's instruction set.
        pub(super) unsafe fn l2sq_rows(q: &[f32], rows: &[f32], out: &mut [f32]) {
            if q.is_empty() { return; }
            for (row, o) in rows.chunks_exact(q.len()).zip(out.iter_mut()) { *o = l2sq(q, row); }
        }
        $(#[target_feature(enable = $feature)])?
        /// # Safety
        /// The CPU must support this module's instruction set.
        pub(super) unsafe fn l1_rows(q: &[f32], rows: &[f32], out: &mut [f32]) {
            if q.is_empty() { return; }
            for (row, o) in rows.chunks_exact(q.len()).zip(out.iter_mut()) { *o = l1(q, row); }
        }
    };
}
pub(crate) use row_kernels;

/// An instruction set a kernel table can be built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Portable code. On x86-64 the compiler vectorises it with SSE2 (reported as `sse`).
    Portable,
    Avx2,
    Avx512,
    Neon,
}

impl Isa {
    /// The name reported to users (`nativeInfo().isa`).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable if cfg!(target_arch = "x86_64") => "sse",
            Isa::Portable => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
        }
    }

    pub fn parse(name: &str) -> Option<Isa> {
        match name.to_ascii_lowercase().as_str() {
            "scalar" | "sse" | "portable" => Some(Isa::Portable),
            "avx2" => Some(Isa::Avx2),
            "avx512" => Some(Isa::Avx512),
            "neon" => Some(Isa::Neon),
            _ => None,
        }
    }

    /// True when this CPU can run the ISA.
    pub fn supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

type PairFn = unsafe fn(&[f32], &[f32]) -> f32;
type RowsFn = unsafe fn(&[f32], &[f32], &mut [f32]);

/// A dispatch table. Fields are private: a `Kernels` can only be made by `for_isa`, which checks the
/// CPU first, and that check is what makes the `unsafe` calls in the methods below sound.
#[derive(Clone, Copy)]
pub struct Kernels {
    isa: Isa,
    dot: PairFn,
    l2sq: PairFn,
    l1: PairFn,
    dot_rows: RowsFn,
    l2sq_rows: RowsFn,
    l1_rows: RowsFn,
}

macro_rules! table {
    ($isa:expr, $m:ident) => {
        Kernels {
            isa: $isa,
            dot: $m::dot,
            l2sq: $m::l2sq,
            l1: $m::l1,
            dot_rows: $m::dot_rows,
            l2sq_rows: $m::l2sq_rows,
            l1_rows: $m::l1_rows,
        }
    };
}

impl Kernels {
    /// The table for `isa`, or `None` when this CPU (or this build's architecture) cannot run it.
    pub fn for_isa(isa: Isa) -> Option<Kernels> {
        if !isa.supported() {
            return None;
        }
        match isa {
            Isa::Portable => Some(table!(Isa::Portable, scalar)),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Some(table!(Isa::Avx2, avx2)),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => Some(table!(Isa::Avx512, avx512)),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => Some(table!(Isa::Neon, neon)),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Every ISA this CPU can run, best last.
    pub fn available() -> Vec<Isa> {
        [Isa::Portable, Isa::Neon, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.supported())
            .collect()
    }

    /// The table used by the whole process: the best supported ISA, or a lower one named by the
    /// `VGENT_ISA` environment variable (for tests and for ruling the SIMD code out when debugging).
    pub fn active() -> &'static Kernels {
        static ACTIVE: OnceLock<Kernels> = OnceLock::new();
        ACTIVE.get_or_init(|| {
            let forced = std::env::var("VGENT_ISA").ok().and_then(|s| Isa::parse(&s));
            let best = *Self::available().last().unwrap_or(&Isa::Portable);
            let pick = forced.filter(|isa| isa.supported()).unwrap_or(best);
            Self::for_isa(pick).unwrap_or(table!(Isa::Portable, scalar))
        })
    }

    pub fn isa(&self) -> Isa {
        self.isa
    }

    pub fn dot(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: `self` comes from `for_isa`, which only installs kernels the CPU supports; the
        // kernels read only within the shorter slice.
        unsafe { (self.dot)(a, b) }
    }

    pub fn l2sq(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as in `dot`.
        unsafe { (self.l2sq)(a, b) }
    }

    pub fn l1(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as in `dot`.
        unsafe { (self.l1)(a, b) }
    }

    /// The metric's raw kernel value for one pair: a·b for cosine and dot, ‖a−b‖² or ‖a−b‖₁.
    pub fn raw(&self, metric: Metric, a: &[f32], b: &[f32]) -> f32 {
        match metric {
            Metric::Cosine | Metric::DotProduct => self.dot(a, b),
            Metric::Euclidean => self.l2sq(a, b),
            Metric::Manhattan => self.l1(a, b),
        }
    }

    /// Dot products of four queries against each `dim`-wide row of `rows` (one score per row in each
    /// `out`), bit-identical to `dot` per pair. Returns false, doing nothing, when this table has no
    /// four-query kernel (only AVX-512 has one): the caller then scores the queries one by one.
    pub fn dot_rows4(
        &self,
        qs: [&[f32]; 4],
        dim: usize,
        rows: &[f32],
        out: [&mut [f32]; 4],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self.isa == Isa::Avx512 {
            // SAFETY: a table whose isa is Avx512 is only built by `for_isa` after the CPU was seen to
            // support AVX-512F; the kernel checks the query lengths and reads only whole rows within
            // `rows`, writing only within each `out`.
            unsafe { avx512::dot_rows4(qs, dim, rows, out) };
            return true;
        }
        let _ = (qs, dim, rows, out);
        false
    }

    /// `raw` for `q` against each `q.len()`-wide row of `rows`, written to `out` (one per row).
    pub fn raw_rows(&self, metric: Metric, q: &[f32], rows: &[f32], out: &mut [f32]) {
        let f = match metric {
            Metric::Cosine | Metric::DotProduct => self.dot_rows,
            Metric::Euclidean => self.l2sq_rows,
            Metric::Manhattan => self.l1_rows,
        };
        // SAFETY: as in `dot`; the row loop stops at the shorter of `rows` and `out`.
        unsafe { f(q, rows, out) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-4 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn every_isa_matches_the_portable_oracle() {
        let oracle = Kernels::for_isa(Isa::Portable).unwrap();
        // Lengths that hit every main loop, the 16/8-wide loops and the ragged tails.
        for len in [
            1usize, 3, 7, 8, 15, 16, 17, 31, 63, 64, 65, 100, 383, 384, 1536,
        ] {
            let a = pseudo_random(len, len as u64);
            let b = pseudo_random(len, len as u64 + 99);
            for isa in Kernels::available() {
                let k = Kernels::for_isa(isa).unwrap();
                assert!(
                    close(k.dot(&a, &b), oracle.dot(&a, &b)),
                    "{isa:?} dot len {len}"
                );
                assert!(
                    close(k.l2sq(&a, &b), oracle.l2sq(&a, &b)),
                    "{isa:?} l2sq len {len}"
                );
                assert!(
                    close(k.l1(&a, &b), oracle.l1(&a, &b)),
                    "{isa:?} l1 len {len}"
                );
            }
        }
    }

    #[test]
    fn portable_kernels_match_plain_definitions() {
        let k = Kernels::for_isa(Isa::Portable).unwrap();
        let a = [1.0, 2.0, 3.0];
        let b = [4.0, -5.0, 6.0];
        assert_eq!(k.dot(&a, &b), 12.0);
        assert_eq!(k.l2sq(&a, &b), 9.0 + 49.0 + 9.0);
        assert_eq!(k.l1(&a, &b), 3.0 + 7.0 + 3.0);
    }

    #[test]
    fn row_kernels_agree_with_pair_kernels() {
        let dim = 37;
        let q = pseudo_random(dim, 1);
        let rows = pseudo_random(dim * 10, 2);
        for isa in Kernels::available() {
            let k = Kernels::for_isa(isa).unwrap();
            for metric in [Metric::Cosine, Metric::Euclidean, Metric::Manhattan] {
                let mut out = vec![0.0; 10];
                k.raw_rows(metric, &q, &rows, &mut out);
                for (i, row) in rows.chunks_exact(dim).enumerate() {
                    assert_eq!(out[i], k.raw(metric, &q, row), "{isa:?} {metric:?} row {i}");
                }
            }
        }
    }

    #[test]
    fn four_query_rows_are_bit_identical_to_pairs() {
        for dim in [1usize, 7, 16, 17, 64, 100, 384, 385] {
            let qs: Vec<Vec<f32>> = (0..4).map(|j| pseudo_random(dim, 40 + j)).collect();
            let rows = pseudo_random(dim * 9, dim as u64);
            for isa in Kernels::available() {
                let k = Kernels::for_isa(isa).unwrap();
                let mut outs = [[0.0f32; 9]; 4];
                let [a, b, c, d] = &mut outs;
                let q = [&qs[0][..], &qs[1][..], &qs[2][..], &qs[3][..]];
                if !k.dot_rows4(q, dim, &rows, [a, b, c, d]) {
                    continue;
                }
                for (j, out) in outs.iter().enumerate() {
                    for (r, row) in rows.chunks_exact(dim).enumerate() {
                        assert_eq!(
                            out[r].to_bits(),
                            k.dot(&qs[j], row).to_bits(),
                            "{isa:?} dim {dim} q {j} row {r}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn active_table_is_supported() {
        assert!(Kernels::active().isa().supported());
    }
}
