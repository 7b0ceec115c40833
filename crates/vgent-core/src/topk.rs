//! Bounded top-k selection: a heap of at most k candidates whose root is the worst one kept.
//!
//! Order is the protocol's: higher key first, ties broken by id ascending, so every tier returns the
//! same list for the same data.
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub key: f32,
    pub slot: u32,
}

pub struct TopK<'a> {
    k: usize,
    heap: Vec<Candidate>,
    ids: &'a [Box<str>],
}

impl<'a> TopK<'a> {
    /// `ids` resolves slots for tie-breaking; `k` may be larger than the number of rows.
    pub fn new(k: usize, ids: &'a [Box<str>]) -> Self {
        TopK {
            k,
            heap: Vec::with_capacity(k.min(ids.len()).min(1 << 16)),
            ids,
        }
    }

    /// `Greater` when `a` ranks before (is better than) `b`.
    fn rank(&self, a: &Candidate, b: &Candidate) -> Ordering {
        a.key
            .partial_cmp(&b.key)
            .unwrap_or(Ordering::Equal)
            .then_with(|| self.ids[b.slot as usize].cmp(&self.ids[a.slot as usize]))
    }

    /// Offers one candidate. NaN keys (only reachable through float overflow) rank last.
    #[inline]
    pub fn push(&mut self, key: f32, slot: u32) {
        if self.k == 0 {
            return;
        }
        let key = if key.is_nan() { f32::NEG_INFINITY } else { key };
        if self.heap.len() == self.k {
            // Cheap reject before any id comparison: most rows of a big scan end here.
            if key < self.heap[0].key {
                return;
            }
            let c = Candidate { key, slot };
            if self.rank(&c, &self.heap[0]) != Ordering::Greater {
                return;
            }
            self.heap[0] = c;
            self.sift_down(0);
        } else {
            self.heap.push(Candidate { key, slot });
            self.sift_up(self.heap.len() - 1);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            // The root holds the worst: move up while we are worse than our parent.
            if self.rank(&self.heap[i], &self.heap[parent]) == Ordering::Less {
                self.heap.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut worst = i;
            if l < n && self.rank(&self.heap[l], &self.heap[worst]) == Ordering::Less {
                worst = l;
            }
            if r < n && self.rank(&self.heap[r], &self.heap[worst]) == Ordering::Less {
                worst = r;
            }
            if worst == i {
                break;
            }
            self.heap.swap(i, worst);
            i = worst;
        }
    }

    /// The kept candidates, best first.
    pub fn into_sorted(self) -> Vec<Candidate> {
        let ids = self.ids;
        let mut v = self.heap;
        v.sort_by(|a, b| {
            b.key
                .partial_cmp(&a.key)
                .unwrap_or(Ordering::Equal)
                .then_with(|| ids[a.slot as usize].cmp(&ids[b.slot as usize]))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|s| (*s).into()).collect()
    }

    #[test]
    fn keeps_the_k_best_in_order_with_id_ties() {
        let ids = ids(&["e", "d", "c", "b", "a"]);
        let mut top = TopK::new(3, &ids);
        for (slot, key) in [1.0, 5.0, 5.0, 2.0, 5.0].iter().enumerate() {
            top.push(*key, slot as u32);
        }
        let got: Vec<&str> = top
            .into_sorted()
            .iter()
            .map(|c| &*ids[c.slot as usize])
            .collect();
        // Three 5.0s; ids ascending among them: a (slot 4), c (slot 2), d (slot 1).
        assert_eq!(got, vec!["a", "c", "d"]);
    }

    #[test]
    fn matches_a_full_sort_on_many_rows() {
        let n = 2000;
        let ids: Vec<Box<str>> = (0..n)
            .map(|i| format!("id{:05}", (i * 7919) % n).into())
            .collect();
        let keys: Vec<f32> = (0..n).map(|i| ((i * 31) % 97) as f32).collect();
        let mut top = TopK::new(25, &ids);
        for (slot, k) in keys.iter().enumerate() {
            top.push(*k, slot as u32);
        }
        let got: Vec<u32> = top.into_sorted().iter().map(|c| c.slot).collect();
        let mut all: Vec<u32> = (0..n as u32).collect();
        all.sort_by(|&a, &b| {
            keys[b as usize]
                .partial_cmp(&keys[a as usize])
                .unwrap()
                .then_with(|| ids[a as usize].cmp(&ids[b as usize]))
        });
        assert_eq!(got, all[..25].to_vec());
    }

    #[test]
    fn nan_ranks_last_and_zero_k_keeps_nothing() {
        let ids = ids(&["a", "b"]);
        let mut top = TopK::new(1, &ids);
        top.push(f32::NAN, 0);
        top.push(-1e30, 1);
        assert_eq!(top.into_sorted()[0].slot, 1);
        let mut none = TopK::new(0, &ids);
        none.push(1.0, 0);
        assert!(none.into_sorted().is_empty());
    }
}
