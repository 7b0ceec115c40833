//! The id → slot index. Each id is stored once, in the collection's `ids` (slot order); the table
//! holds only slot numbers (with 32 bits of each id's hash, so that a probe rarely has to look at an
//! id) and hashes `ids[slot]` again when it grows or shifts entries, so adding a row costs one id
//! allocation, not two. Ids are user input, so the hasher is keyed per process (foldhash's
//! `RandomState`): colliding ids cannot be precomputed.
//!
//! Open addressing with linear probing, at most half full: a lookup or an insert touches one cache
//! line in nearly every case (hashbrown's table touched two: control bytes and slots), and the table
//! lives on huge pages once it is big (`crate::alloc`), so that a million random probes during replay
//! do not each pay a TLB miss. Removal shifts later entries of the run back (no tombstones).
use foldhash::quality::RandomState;
use std::hash::BuildHasher;

pub(super) struct SlotIndex {
    /// 0 = empty; otherwise `(hash >> 32) << 32 | (slot + 1)`. The length is a power of two (or 0).
    entries: Vec<u64>,
    len: usize,
    hasher: RandomState,
}

/// An id's hash, computed once per lookup and reused by the insert that may follow.
#[derive(Clone, Copy)]
pub(super) struct IdHash(u64);

const MIN_BUCKETS: usize = 16;

fn entry(h: u64, slot: u32) -> u64 {
    (h & !0xffff_ffff) | (slot as u64 + 1)
}

fn slot_of(e: u64) -> u32 {
    ((e & 0xffff_ffff) - 1) as u32
}

impl SlotIndex {
    pub fn new() -> Self {
        SlotIndex {
            entries: Vec::new(),
            len: 0,
            hasher: RandomState::default(),
        }
    }

    pub fn hash(&self, id: &str) -> IdHash {
        IdHash(self.hasher.hash_one(id))
    }

    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// Bucket `h` probes first.
    fn home(&self, h: u64) -> usize {
        h as usize & self.mask()
    }

    /// The slot holding `id`, if any. `ids` is the collection's id per slot.
    pub fn get(&self, ids: &[Box<str>], id: &str) -> Option<u32> {
        self.get_hashed(ids, id, self.hash(id))
    }

    pub fn get_hashed(&self, ids: &[Box<str>], id: &str, h: IdHash) -> Option<u32> {
        self.find(ids, id, h).map(|i| slot_of(self.entries[i]))
    }

    /// The bucket holding `id`.
    fn find(&self, ids: &[Box<str>], id: &str, h: IdHash) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let tag = h.0 >> 32;
        let mut i = self.home(h.0);
        loop {
            let e = self.entries[i];
            if e == 0 {
                return None;
            }
            if e >> 32 == tag && &*ids[slot_of(e) as usize] == id {
                return Some(i);
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Asks the CPU to bring in the bucket `h` probes first, ahead of a lookup a few ids later.
    pub fn prefetch(&self, h: IdHash) {
        if let Some(e) = self.entries.get(self.home(h.0)) {
            prefetch_read(e);
        }
    }

    /// Room for `additional` more ids without growing.
    pub fn reserve(&mut self, ids: &[Box<str>], additional: usize) {
        let need = self.len.saturating_add(additional);
        if need.saturating_mul(2) > self.entries.len() {
            self.grow(ids, need);
        }
    }

    /// Rebuilds the table with room for `need` ids at most half full.
    fn grow(&mut self, ids: &[Box<str>], need: usize) {
        let buckets = need
            .saturating_mul(2)
            .max(MIN_BUCKETS)
            .checked_next_power_of_two()
            .unwrap_or(1 << (usize::BITS - 1));
        let old = std::mem::replace(&mut self.entries, crate::alloc::with_capacity(buckets));
        self.entries.resize(buckets, 0);
        for e in old.into_iter().filter(|e| *e != 0) {
            let h = self.hasher.hash_one(&*ids[slot_of(e) as usize]);
            let mut i = self.home(h);
            while self.entries[i] != 0 {
                i = (i + 1) & self.mask();
            }
            self.entries[i] = e;
        }
    }

    /// Adds `slot`, whose id `ids[slot]` (hashing to `h`) is not in the index yet.
    pub fn insert_new(&mut self, ids: &[Box<str>], h: IdHash, slot: u32) {
        if (self.len + 1).saturating_mul(2) > self.entries.len() {
            self.grow(ids, (self.len + 1).max(self.entries.len()));
        }
        let mut i = self.home(h.0);
        while self.entries[i] != 0 {
            i = (i + 1) & self.mask();
        }
        self.entries[i] = entry(h.0, slot);
        self.len += 1;
    }

    /// Removes `id`; returns the slot it had. `ids` must still hold every indexed id.
    pub fn remove(&mut self, ids: &[Box<str>], id: &str) -> Option<u32> {
        let mut hole = self.find(ids, id, self.hash(id))?;
        let slot = slot_of(self.entries[hole]);
        // Backward-shift deletion: move later entries of the run into the hole when their home
        // bucket does not lie (cyclically) after the hole, so that every entry stays reachable.
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask();
            let e = self.entries[j];
            if e == 0 {
                break;
            }
            let home = self.home(self.hasher.hash_one(&*ids[slot_of(e) as usize]));
            let reachable_without = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !reachable_without {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = 0;
        self.len -= 1;
        Some(slot)
    }

    /// Records that `id` moved from slot `from` to slot `to`.
    pub fn relocate(&mut self, id: &str, from: u32, to: u32) {
        if self.len == 0 {
            return;
        }
        let h = self.hash(id).0;
        let mut i = self.home(h);
        loop {
            let e = self.entries[i];
            if e == 0 {
                return;
            }
            if slot_of(e) == from {
                self.entries[i] = entry(e, to);
                return;
            }
            i = (i + 1) & self.mask();
        }
    }

    pub fn clear(&mut self) {
        self.entries = Vec::new();
        self.len = 0;
    }
}

#[cfg(target_arch = "x86_64")]
fn prefetch_read(p: &u64) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: SSE is part of the x86-64 baseline, so the instruction exists; a prefetch is a hint
    // that never faults and has no architectural effect (it reads nothing into the program, writes
    // nothing), and `p` is a valid reference anyway.
    unsafe { _mm_prefetch::<_MM_HINT_T0>((p as *const u64).cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch_read(_p: &u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inserts, removes (swap-remove as the collection does) and looks up against a HashMap.
    #[test]
    fn matches_a_hash_map_through_inserts_and_swap_removes() {
        let mut idx = SlotIndex::new();
        let mut ids: Vec<Box<str>> = Vec::new();
        let mut oracle = std::collections::HashMap::new();
        let mut state = 7u32;
        for step in 0..20_000u32 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let id = format!("k{}", state % 3000);
            if state.is_multiple_of(3) {
                if let Some(slot) = idx.remove(&ids, &id) {
                    assert_eq!(oracle.remove(&id), Some(slot));
                    let last = ids.len() as u32 - 1;
                    if slot != last {
                        idx.relocate(&ids[last as usize].clone(), last, slot);
                        oracle.insert(ids[last as usize].to_string(), slot);
                    }
                    ids.swap_remove(slot as usize);
                } else {
                    assert!(!oracle.contains_key(&id));
                }
            } else if idx.get(&ids, &id).is_none() {
                if step.is_multiple_of(100) {
                    idx.reserve(&ids, 50);
                }
                let h = idx.hash(&id);
                idx.prefetch(h);
                ids.push(id.clone().into());
                idx.insert_new(&ids, h, ids.len() as u32 - 1);
                oracle.insert(id, ids.len() as u32 - 1);
            }
            assert_eq!(idx.len, oracle.len());
        }
        for (id, slot) in &oracle {
            assert_eq!(idx.get(&ids, id), Some(*slot));
        }
        assert_eq!(idx.get(&ids, "absent"), None);
        idx.clear();
        assert_eq!(idx.get(&ids, "k1"), None);
    }
}
