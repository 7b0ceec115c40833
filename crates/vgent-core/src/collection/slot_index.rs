//! The id → slot index. Each id is stored once, in the collection's `ids` (slot order); the table
//! holds only slot numbers and hashes `ids[slot]` when it rehashes, so adding a row costs one id
//! allocation, not two. Ids are user input, so the hasher is keyed per process (foldhash's
//! `RandomState`): colliding ids cannot be precomputed.
use foldhash::quality::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

pub(super) struct SlotIndex {
    table: HashTable<u32>,
    hasher: RandomState,
}

/// An id's hash, computed once per lookup and reused by the insert that may follow.
#[derive(Clone, Copy)]
pub(super) struct IdHash(u64);

impl SlotIndex {
    pub fn new() -> Self {
        SlotIndex {
            table: HashTable::new(),
            hasher: RandomState::default(),
        }
    }

    pub fn hash(&self, id: &str) -> IdHash {
        IdHash(self.hasher.hash_one(id))
    }

    /// The slot holding `id`, if any. `ids` is the collection's id per slot.
    pub fn get(&self, ids: &[Box<str>], id: &str) -> Option<u32> {
        self.get_hashed(ids, id, self.hash(id))
    }

    pub fn get_hashed(&self, ids: &[Box<str>], id: &str, h: IdHash) -> Option<u32> {
        self.table.find(h.0, |&s| &*ids[s as usize] == id).copied()
    }

    /// Room for `additional` more ids without rehashing.
    pub fn reserve(&mut self, ids: &[Box<str>], additional: usize) {
        let hasher = &self.hasher;
        self.table
            .reserve(additional, |&s| hasher.hash_one(&*ids[s as usize]));
    }

    /// Adds `slot`, whose id `ids[slot]` (hashing to `h`) is not in the index yet.
    pub fn insert_new(&mut self, ids: &[Box<str>], h: IdHash, slot: u32) {
        let hasher = &self.hasher;
        self.table
            .insert_unique(h.0, slot, |&s| hasher.hash_one(&*ids[s as usize]));
    }

    /// Removes `id`; returns the slot it had.
    pub fn remove(&mut self, ids: &[Box<str>], id: &str) -> Option<u32> {
        let h = self.hash(id);
        match self.table.find_entry(h.0, |&s| &*ids[s as usize] == id) {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        }
    }

    /// Records that `id` moved from slot `from` to slot `to`.
    pub fn relocate(&mut self, id: &str, from: u32, to: u32) {
        let h = self.hash(id);
        if let Some(s) = self.table.find_mut(h.0, |&s| s == from) {
            *s = to;
        }
    }

    pub fn clear(&mut self) {
        self.table = HashTable::new();
    }
}
