//! A collection's rows: runs of rows in slot order. An owned run is a `Vec` on huge pages; a mapped
//! run is a zero-copy view of rows inside a store's log file, mapped copy-on-write.
//!
//! Why mapped runs: reopening a store must cost about what reading its file costs. Copying a
//! million rows into new memory also faults in 1.5 GB of fresh pages, and on a VM whose host has
//! reclaimed that memory, faulting it costs several times the read (benchmark/RESULTS.md). A mapped
//! run reads the rows straight from the page cache, and a write to one copies only the page written.
use std::fs::File;
use std::sync::Arc;

/// A whole file mapped private (copy-on-write): writes through it never reach the file.
pub struct FileMap {
    /// The start of the mapping, taken from `MmapMut::as_mut_ptr` once, so that runs may write
    /// through it while the map is shared by every run that points into it.
    ptr: *mut u8,
    len: usize,
    _map: memmap2::MmapMut,
}

// SAFETY: `FileMap` owns its mapping (`_map` unmaps it on drop, after every `Arc` holder is gone).
// The raw pointer is only an address inside that mapping; which thread holds it does not matter.
// Reads and writes through it happen only in `Run::slice` / `Run::slice_mut`, under Rust's borrow
// rules for the run (shared reads through `&Run`, writes through `&mut Run`), and no two runs cover
// the same bytes (`Rows::push_mapped` is given disjoint ranges: distinct records of the log).
unsafe impl Send for FileMap {}
// SAFETY: as for `Send`: `&FileMap` gives no access to the bytes by itself.
unsafe impl Sync for FileMap {}

impl FileMap {
    /// Maps all of `file` copy-on-write. `None` for an empty file (nothing to map).
    pub fn new(file: &File) -> std::io::Result<Option<Arc<FileMap>>> {
        if file.metadata()?.len() == 0 {
            return Ok(None);
        }
        // SAFETY: mapping a file is unsafe because another process could change or truncate it
        // while it is mapped. The maps made here cover a vgent log, which is append-only: its
        // writer (the only process holding its lock) appends after the verified end, truncates only
        // a torn tail that no reader accepted, and replaces the file by rename (compaction, repair),
        // which leaves this inode and its bytes alone. Runs only ever point at verified records.
        // Changing a log behind vgent's back is outside its contract, as for any mapped store.
        let mut map = unsafe { memmap2::MmapOptions::new().map_copy(file)? };
        Ok(Some(Arc::new(FileMap {
            ptr: map.as_mut_ptr(),
            len: map.len(),
            _map: map,
        })))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

enum Run {
    Owned(Vec<f32>),
    /// `rows` rows starting at byte `offset` of `map` (a multiple of 4, checked in `push_mapped`).
    Mapped {
        map: Arc<FileMap>,
        offset: usize,
        rows: usize,
    },
}

impl Run {
    fn rows(&self, dim: usize) -> usize {
        match self {
            Run::Owned(v) => v.len() / dim,
            Run::Mapped { rows, .. } => *rows,
        }
    }

    fn slice(&self, dim: usize) -> &[f32] {
        match self {
            Run::Owned(v) => v,
            Run::Mapped { map, offset, rows } => {
                // SAFETY: `Rows::push_mapped` checked that `offset..offset + rows * dim * 4` lies
                // inside the mapping and that `offset` is a multiple of 4 (the mapping itself is
                // page-aligned), so the range is `rows * dim` aligned, initialised f32s (any bit
                // pattern is a valid f32). The mapping lives as long as `map`, which the run holds.
                // Writes to these bytes happen only through `slice_mut`, which needs `&mut self`, so
                // none can happen while this shared borrow lives; no other run covers these bytes.
                unsafe {
                    std::slice::from_raw_parts(map.ptr.add(*offset) as *const f32, rows * dim)
                }
            }
        }
    }

    fn slice_mut(&mut self, dim: usize) -> &mut [f32] {
        match self {
            Run::Owned(v) => v,
            Run::Mapped { map, offset, rows } => {
                // SAFETY: as in `slice` for bounds, alignment and lifetime; the borrow is exclusive
                // because it is tied to `&mut self`, and no other run covers these bytes. The
                // mapping is private and writable, so writing copies the page (the file is never
                // changed).
                unsafe {
                    std::slice::from_raw_parts_mut(map.ptr.add(*offset) as *mut f32, *rows * dim)
                }
            }
        }
    }
}

pub struct Rows {
    dim: usize,
    runs: Vec<Run>,
    /// The slot of each run's first row.
    starts: Vec<usize>,
    len: usize,
}

impl Rows {
    pub fn new(dim: usize) -> Rows {
        Rows {
            dim,
            runs: Vec::new(),
            starts: Vec::new(),
            len: 0,
        }
    }

    /// Rows stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The run holding `slot`, and the slot's row within it.
    fn locate(&self, slot: usize) -> (usize, usize) {
        let i = if self.runs.len() == 1 {
            0
        } else {
            self.starts.partition_point(|s| *s <= slot) - 1
        };
        (i, slot - self.starts[i])
    }

    pub fn row(&self, slot: usize) -> &[f32] {
        let (i, r) = self.locate(slot);
        &self.runs[i].slice(self.dim)[r * self.dim..(r + 1) * self.dim]
    }

    pub fn row_mut(&mut self, slot: usize) -> &mut [f32] {
        let (i, r) = self.locate(slot);
        let dim = self.dim;
        &mut self.runs[i].slice_mut(dim)[r * dim..(r + 1) * dim]
    }

    /// Calls `f(first_slot, rows)` for the contiguous pieces of slots `start..end`, in order.
    pub fn for_each_run(&self, start: usize, end: usize, mut f: impl FnMut(usize, &[f32])) {
        if start >= end {
            return;
        }
        let (mut i, mut r) = self.locate(start);
        let mut slot = start;
        while slot < end {
            let rows = self.runs[i].rows(self.dim);
            let take = (rows - r).min(end - slot);
            f(
                slot,
                &self.runs[i].slice(self.dim)[r * self.dim..(r + take) * self.dim],
            );
            slot += take;
            i += 1;
            r = 0;
        }
    }

    /// The owned run at the end that new rows go to, created when the last run is mapped.
    fn tail(&mut self) -> &mut Vec<f32> {
        if !matches!(self.runs.last(), Some(Run::Owned(_))) {
            self.runs.push(Run::Owned(Vec::new()));
            self.starts.push(self.len);
        }
        match self.runs.last_mut() {
            Some(Run::Owned(v)) => v,
            _ => unreachable!("the last run was just made owned"),
        }
    }

    /// Room for `additional` more rows without moving anything; on huge pages when big.
    pub fn reserve(&mut self, additional: usize) {
        let floats = additional.saturating_mul(self.dim);
        crate::alloc::reserve(self.tail(), floats);
    }

    pub fn push(&mut self, row: &[f32]) {
        let tail = self.tail();
        crate::alloc::reserve(tail, row.len());
        tail.extend_from_slice(row);
        self.len += 1;
    }

    /// Appends one row given as little-endian float32 bytes and returns it.
    pub fn push_le(&mut self, row_le: &[u8]) -> &[f32] {
        let dim = self.dim;
        let tail = self.tail();
        crate::alloc::reserve(tail, dim);
        crate::codec::decode_f32_le_into(row_le, tail);
        self.len += 1;
        let tail = self.tail();
        &tail[tail.len() - dim..]
    }

    /// Appends `rows` rows that lie at byte `offset` of `map`, without copying them. False (and
    /// nothing changes) when the range is outside the map or not aligned for f32.
    pub fn push_mapped(&mut self, map: &Arc<FileMap>, offset: usize, rows: usize) -> bool {
        let bytes = rows.checked_mul(self.dim * 4);
        let fits = bytes
            .and_then(|b| offset.checked_add(b))
            .is_some_and(|end| end <= map.len());
        if !fits || !offset.is_multiple_of(4) || cfg!(target_endian = "big") || rows == 0 {
            return false;
        }
        if matches!(self.runs.last(), Some(Run::Owned(v)) if v.is_empty()) {
            self.runs.pop();
            self.starts.pop();
        }
        self.runs.push(Run::Mapped {
            map: map.clone(),
            offset,
            rows,
        });
        self.starts.push(self.len);
        self.len += rows;
        true
    }

    /// Drops the last row.
    pub fn pop(&mut self) {
        let dim = self.dim;
        if self.len == 0 {
            return;
        }
        // An empty owned run at the end (left by `reserve`) holds no row: the last row is before it.
        while self.runs.len() > 1 && matches!(self.runs.last(), Some(Run::Owned(v)) if v.is_empty())
        {
            self.runs.pop();
            self.starts.pop();
        }
        let last = self.runs.len() - 1;
        let now_empty = match &mut self.runs[last] {
            Run::Owned(v) => {
                v.truncate(v.len().saturating_sub(dim));
                v.is_empty()
            }
            Run::Mapped { rows, .. } => {
                *rows -= 1;
                *rows == 0
            }
        };
        self.len -= 1;
        // Empty runs are dropped, except a lone owned one (it keeps its capacity for the next rows).
        if now_empty && (self.runs.len() > 1 || matches!(self.runs[last], Run::Mapped { .. })) {
            self.runs.pop();
            self.starts.pop();
        }
    }

    /// Moves the last row into `slot` and drops the last row (O(1) removal).
    pub fn swap_remove(&mut self, slot: usize) {
        let dim = self.dim;
        let last = self.len - 1;
        if slot != last {
            let (i, r) = self.locate(slot);
            let (j, q) = self.locate(last);
            let (to, from) = (r * dim..(r + 1) * dim, q * dim..(q + 1) * dim);
            if i == j {
                self.runs[i].slice_mut(dim).copy_within(from, to.start);
            } else {
                // `slot < last`, so its run comes first: borrow the two runs apart, no copy out.
                let (head, tail) = self.runs.split_at_mut(j);
                head[i].slice_mut(dim)[to].copy_from_slice(&tail[0].slice(dim)[from]);
            }
        }
        self.pop();
    }

    /// Every row in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &[f32]> {
        self.runs
            .iter()
            .flat_map(move |run| run.slice(self.dim).chunks_exact(self.dim))
    }

    /// Bytes of rows held in memory this process owns (mapped rows live in the page cache).
    pub fn owned_floats(&self) -> usize {
        self.runs
            .iter()
            .map(|r| match r {
                Run::Owned(v) => v.len(),
                Run::Mapped { .. } => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mapped_file(floats: &[f32]) -> Arc<FileMap> {
        let path = std::env::temp_dir().join(format!(
            "vgent-rows-{}-{}",
            std::process::id(),
            floats.len()
        ));
        let mut f = File::create(&path).unwrap();
        f.write_all(&[0u8; 4]).unwrap(); // a 4-byte prefix: rows start at offset 4
        f.write_all(&crate::codec::encode_f32_le(floats)).unwrap();
        drop(f);
        let map = FileMap::new(&File::open(&path).unwrap()).unwrap().unwrap();
        let _ = std::fs::remove_file(&path);
        map
    }

    fn all(r: &Rows) -> Vec<f32> {
        r.iter().flatten().copied().collect()
    }

    #[test]
    fn mapped_and_owned_runs_read_write_and_remove_in_slot_order() {
        let map = mapped_file(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let mut r = Rows::new(2);
        r.push(&[9.0, 9.0]);
        assert!(r.push_mapped(&map, 4, 3));
        assert!(!r.push_mapped(&map, 2, 1), "misaligned");
        assert!(!r.push_mapped(&map, 4, 4), "past the end");
        r.push(&[7.0, 8.0]);
        assert_eq!(r.len(), 5);
        assert_eq!(all(&r), vec![9., 9., 1., 2., 3., 4., 5., 6., 7., 8.]);
        assert_eq!(r.row(3), &[5.0, 6.0]);
        r.row_mut(2).copy_from_slice(&[0.5, 0.5]); // a copy-on-write write into the map
        r.swap_remove(1); // the owned last row moves into the mapped run
        assert_eq!(all(&r), vec![9., 9., 7., 8., 0.5, 0.5, 5., 6.]);
        r.swap_remove(3); // the last row is now mapped: the run shrinks
        r.swap_remove(0);
        assert_eq!(all(&r), vec![0.5, 0.5, 7., 8.]);
        let mut pieces = Vec::new();
        r.for_each_run(0, 2, |s, rows| pieces.push((s, rows.len())));
        assert_eq!(pieces, vec![(0, 2), (1, 2)]);
        r.swap_remove(1);
        r.swap_remove(0);
        assert_eq!(r.len(), 0);
        r.push(&[1.0, 1.0]);
        assert_eq!(all(&r), vec![1.0, 1.0]);
    }
}
