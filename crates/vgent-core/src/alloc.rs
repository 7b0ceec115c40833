//! Large buffers on transparent huge pages.
//!
//! A store's rows live in one buffer of hundreds of MB. On 4 KiB pages every first touch is a page
//! fault (≈40,000 per 150 MB) and a scan walks a TLB entry per 4 KiB; under a hypervisor's nested
//! paging both are expensive. With 2 MiB pages the fault-and-copy of a load is several times faster
//! and a scan runs at memory bandwidth (benchmark/RESULTS.md). Linux gives anonymous memory huge
//! pages only where asked when THP is in `madvise` mode (a common default), so big buffers ask, before
//! their pages are first touched. Elsewhere, or when the kernel says no, nothing changes.
//!
//! The buffers stay plain `Vec`s: the advice is a hint on the mapping, not a different allocator, so
//! growth (glibc moves big blocks with `mremap`, which keeps the advice) and freeing are untouched.

/// Buffers smaller than this stay as they are: one huge page is 2 MiB.
const HUGE_MIN_BYTES: usize = 4 << 20;

/// `Vec::reserve` that advises huge pages for the allocation when it is big.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    let before = (v.as_ptr(), v.capacity());
    v.reserve(additional);
    if (v.as_ptr(), v.capacity()) != before {
        advise(v);
    }
}

/// `Vec::reserve_exact` that advises huge pages for the allocation when it is big.
pub fn reserve_exact<T>(v: &mut Vec<T>, additional: usize) {
    let before = (v.as_ptr(), v.capacity());
    v.reserve_exact(additional);
    if (v.as_ptr(), v.capacity()) != before {
        advise(v);
    }
}

/// A new `Vec` with room for `n` elements, on huge pages when big.
pub fn with_capacity<T>(n: usize) -> Vec<T> {
    let mut v = Vec::new();
    reserve_exact(&mut v, n);
    v
}

/// Asks for huge pages over the whole allocation of `v` (a hint: failures are ignored).
#[cfg(target_os = "linux")]
fn advise<T>(v: &Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes < HUGE_MIN_BYTES {
        return;
    }
    let page = 4096usize;
    let start = v.as_ptr() as usize;
    // Only whole pages inside the allocation: madvise wants a page-aligned start.
    let first = start.next_multiple_of(page);
    let end = (start + bytes) & !(page - 1);
    if end <= first {
        return;
    }
    // SAFETY: `first..end` lies inside the live allocation owned by `v` (rounded inward to page
    // boundaries), so it is mapped memory of this process. MADV_HUGEPAGE only sets a flag on the
    // mapping: it neither reads, writes, unmaps nor changes the contents of any byte (pages already
    // present are kept, possibly merged later with the same contents), so no Rust reference or
    // invariant can be affected. The return value is ignored because the advice is optional.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise<T>(_v: &Vec<T>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserving_keeps_contents_and_capacity() {
        let mut v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        reserve(&mut v, 4 << 20);
        assert!(v.capacity() >= 1000 + (4 << 20));
        assert_eq!(v.len(), 1000);
        assert_eq!(v[999], 999.0);
        v.extend(std::iter::repeat_n(1.5, 4 << 20));
        assert_eq!(v[v.len() - 1], 1.5);
        let w: Vec<u8> = with_capacity(8 << 20);
        assert!(w.capacity() >= 8 << 20 && w.is_empty());
    }
}
