//! The in-memory collection: float32 rows in slot order (owned, or mapped from a store's log), an
//! id→slot map, O(1) swap-remove, and an exact scan with top-k selection and filters evaluated during
//! the scan.
use crate::error::{err, ErrorCode, Result};
use crate::filter::Filter;
use crate::metadata::Metadata;
use crate::metric::Metric;
use crate::simd::Kernels;
use crate::topk::TopK;
use rows::Rows;
use slot_index::SlotIndex;
use std::sync::{Arc, OnceLock};

pub use rows::FileMap;

mod rows;
mod slot_index;

/// Ids are limited in bytes (UTF-8) so that every tier can store them as keys.
pub const MAX_ID_BYTES: usize = 1024;
/// Largest dimension accepted: far above any embedding model, small enough to keep row math in u32.
pub const MAX_DIMENSION: usize = 65_536;
/// Rows scored per block: the scores buffer stays in L1, the block in L2.
const BLOCK_ROWS: usize = 256;

/// One search result, with copies of the id and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub similarity: f64,
    pub distance: f64,
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchParams<'a> {
    pub k: usize,
    /// Keep only hits with `similarity >= threshold`.
    pub threshold: Option<f64>,
    pub filter: Option<&'a Filter>,
}

pub struct Collection {
    dim: usize,
    metric: Metric,
    kernels: &'static Kernels,
    rows: Rows,
    /// 1/‖row‖ per slot, used by cosine only.
    inv_norms: Vec<f32>,
    /// The id of each slot; `slots` indexes them without a second copy.
    ids: Vec<Box<str>>,
    slots: SlotIndex,
    metadata: Vec<Option<Box<Metadata>>>,
}

pub fn validate_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(err(ErrorCode::InvalidId, "id must be a non-empty string"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(err(
            ErrorCode::InvalidId,
            format!(
                "id is {} bytes; the limit is {MAX_ID_BYTES} bytes (UTF-8)",
                id.len()
            ),
        ));
    }
    Ok(())
}

impl Collection {
    pub fn new(dim: usize, metric: Metric) -> Result<Collection> {
        if dim == 0 || dim > MAX_DIMENSION {
            return Err(err(
                ErrorCode::InvalidArgument,
                format!("dimension must be an integer in 1..={MAX_DIMENSION}, got {dim}"),
            ));
        }
        Ok(Collection {
            dim,
            metric,
            kernels: Kernels::active(),
            rows: Rows::new(dim),
            inv_norms: Vec::new(),
            ids: Vec::new(),
            slots: SlotIndex::new(),
            metadata: Vec::new(),
        })
    }

    pub fn dimension(&self) -> usize {
        self.dim
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.get(&self.ids, id).is_some()
    }

    /// Checks one vector: its length, finiteness, and (under cosine) a usable norm. Returns 1/‖v‖.
    pub fn check_vector(&self, v: &[f32], what: &str) -> Result<f32> {
        check_row(self.kernels, self.metric, self.dim, v, what)
    }

    /// Inserts or replaces many rows. Everything is validated before anything changes, so a bad entry
    /// rejects the whole batch. Duplicate ids inside the batch: the last one wins.
    pub fn upsert_batch(
        &mut self,
        ids: &[String],
        vectors: &[f32],
        metadata: Vec<Option<Metadata>>,
    ) -> Result<()> {
        let inv_norms = self.validate_batch(ids, vectors, &metadata)?;
        self.apply_batch(ids, vectors, &inv_norms, metadata);
        Ok(())
    }

    /// The checks of `upsert_batch`; returns 1/‖row‖ for each row, for `apply_batch`.
    pub fn validate_batch(
        &self,
        ids: &[String],
        vectors: &[f32],
        metadata: &[Option<Metadata>],
    ) -> Result<Vec<f32>> {
        let n = ids.len();
        if vectors.len() != n * self.dim {
            return Err(err(
                ErrorCode::DimensionMismatch,
                format!(
                    "{} floats given for {n} ids: expected {n} x {} = {}",
                    vectors.len(),
                    self.dim,
                    n * self.dim
                ),
            ));
        }
        if metadata.len() != n && !metadata.is_empty() {
            return Err(err(
                ErrorCode::InvalidArgument,
                format!("{} metadata entries given for {n} ids", metadata.len()),
            ));
        }
        let mut inv_norms = Vec::with_capacity(n);
        for (i, id) in ids.iter().enumerate() {
            validate_id(id).map_err(|e| err(e.code, format!("entry {i}: {}", e.message)))?;
            let row = &vectors[i * self.dim..(i + 1) * self.dim];
            // The label is built only on failure: formatting it per row cost more than the checks.
            let inv = self
                .check_vector(row, "vector")
                .map_err(|e| err(e.code, format!("entry {i} (id {id:?}): {}", e.message)))?;
            inv_norms.push(inv);
        }
        if self.ids.len() + n > u32::MAX as usize {
            return Err(err(
                ErrorCode::InvalidArgument,
                "a collection holds at most 2^32-1 vectors",
            ));
        }
        Ok(inv_norms)
    }

    /// Stores a batch that `validate_batch` accepted.
    pub fn apply_batch(
        &mut self,
        ids: &[String],
        vectors: &[f32],
        inv_norms: &[f32],
        metadata: Vec<Option<Metadata>>,
    ) {
        self.reserve_rows(ids.len());
        let mut metadata = metadata.into_iter();
        for (i, id) in ids.iter().enumerate() {
            let md = metadata
                .next()
                .flatten()
                .filter(|m| !m.is_empty())
                .map(Box::new);
            self.put_row(
                id,
                &vectors[i * self.dim..(i + 1) * self.dim],
                inv_norms[i],
                md,
            );
        }
    }

    /// Room for `additional` more rows without moving anything. The row buffer goes on huge pages.
    pub fn reserve_rows(&mut self, additional: usize) {
        self.rows.reserve(additional);
        self.reserve_index(additional);
    }

    fn put_row(&mut self, id: &str, row: &[f32], inv_norm: f32, md: Option<Box<Metadata>>) {
        let h = self.slots.hash(id);
        if let Some(slot) = self.slots.get_hashed(&self.ids, id, h) {
            let s = slot as usize;
            self.rows.row_mut(s).copy_from_slice(row);
            self.inv_norms[s] = inv_norm;
            self.metadata[s] = md;
        } else {
            let slot = self.ids.len() as u32;
            self.rows.push(row);
            self.inv_norms.push(inv_norm);
            self.ids.push(id.into());
            self.slots.insert_new(&self.ids, h, slot);
            self.metadata.push(md);
        }
    }

    /// A hint that `id` is about to be upserted: starts loading its index bucket, so that replay can
    /// overlap the cache misses of the next few ids with the work on this one.
    pub fn prefetch_id(&self, id: &str) {
        self.slots.prefetch(self.slots.hash(id));
    }

    /// Inserts or replaces one row given as little-endian float32 bytes (the log's encoding), decoded
    /// straight into the row buffer and checked there, as `upsert_batch` checks rows. For log replay:
    /// no intermediate copy of the vectors. On error nothing changes.
    pub fn upsert_le(&mut self, id: &str, row_le: &[u8], md: Option<Metadata>) -> Result<()> {
        validate_id(id)?;
        if row_le.len() != self.dim * 4 {
            return Err(err(
                ErrorCode::DimensionMismatch,
                format!(
                    "vector of {id:?} has {} bytes, the store holds dimension {} ({} bytes)",
                    row_le.len(),
                    self.dim,
                    self.dim * 4
                ),
            ));
        }
        let label = |e: crate::error::VgentError| err(e.code, format!("id {id:?}: {}", e.message));
        let md = md.filter(|m| !m.is_empty()).map(Box::new);
        let h = self.slots.hash(id);
        if let Some(slot) = self.slots.get_hashed(&self.ids, id, h) {
            let mut row = Vec::with_capacity(self.dim);
            crate::codec::decode_f32_le_into(row_le, &mut row);
            let inv = self.check_vector(&row, "vector").map_err(label)?;
            let s = slot as usize;
            self.rows.row_mut(s).copy_from_slice(&row);
            self.inv_norms[s] = inv;
            self.metadata[s] = md;
            return Ok(());
        }
        if self.ids.len() >= u32::MAX as usize {
            return Err(err(
                ErrorCode::InvalidArgument,
                "a collection holds at most 2^32-1 vectors",
            ));
        }
        let row = self.rows.push_le(row_le);
        let checked = check_row(self.kernels, self.metric, self.dim, row, "vector");
        let inv = match checked {
            Ok(inv) => inv,
            Err(e) => {
                self.rows.pop();
                return Err(label(e));
            }
        };
        let slot = self.ids.len() as u32;
        self.inv_norms.push(inv);
        self.ids.push(id.into());
        self.slots.insert_new(&self.ids, h, slot);
        self.metadata.push(md);
        Ok(())
    }

    /// Removes one id in O(1) by moving the last row into its slot.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(&self.ids, id) else {
            return false;
        };
        let s = slot as usize;
        let last = self.ids.len() - 1;
        if s != last {
            self.slots.relocate(&self.ids[last], last as u32, slot);
        }
        self.rows.swap_remove(s);
        self.inv_norms.swap_remove(s);
        self.ids.swap_remove(s);
        self.metadata.swap_remove(s);
        true
    }

    /// Removes everything; returns how many rows there were. Memory is given back.
    pub fn clear(&mut self) -> usize {
        let n = self.ids.len();
        self.rows = Rows::new(self.dim);
        self.inv_norms = Vec::new();
        self.ids = Vec::new();
        self.slots.clear();
        self.metadata = Vec::new();
        n
    }

    /// A copy of the vector and metadata stored under `id`.
    pub fn get(&self, id: &str) -> Option<(Vec<f32>, Option<Metadata>)> {
        let s = self.slots.get(&self.ids, id)? as usize;
        Some((
            self.rows.row(s).to_vec(),
            self.metadata[s].as_deref().cloned(),
        ))
    }

    /// Every row in slot order: (id, vector, metadata). For export and migration.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[f32], Option<&Metadata>)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(s, row)| (&*self.ids[s], row, self.metadata[s].as_deref()))
    }

    /// Appends `count` new ids whose rows lie at byte `offset` of `map` (a store's log), without
    /// copying the rows. For log replay: when any id is already here or repeated, or a row is not a
    /// valid vector, nothing changes and the metadata is handed back, for the caller to store the
    /// rows one by one.
    pub fn push_mapped(
        &mut self,
        ids: &[&str],
        map: &Arc<FileMap>,
        offset: usize,
        metadata: Vec<Option<Metadata>>,
    ) -> std::result::Result<(), Vec<Option<Metadata>>> {
        let count = ids.len();
        if count == 0 || self.ids.len().saturating_add(count) > u32::MAX as usize {
            return Err(metadata);
        }
        let first = self.ids.len();
        if !self.rows.push_mapped(map, offset, count) {
            return Err(metadata);
        }
        let undo = |c: &mut Collection, added: usize| {
            for _ in 0..count {
                c.rows.pop();
            }
            for s in (first..first + added).rev() {
                c.slots.remove(&c.ids, &c.ids[s].clone());
                c.ids.pop();
            }
            c.inv_norms.truncate(first);
        };
        self.reserve_index(count);
        for (i, id) in ids.iter().enumerate() {
            let h = self.slots.hash(id);
            let fresh =
                validate_id(id).is_ok() && self.slots.get_hashed(&self.ids, id, h).is_none();
            let inv = check_row(
                self.kernels,
                self.metric,
                self.dim,
                self.rows.row(first + i),
                "vector",
            );
            match (fresh, inv) {
                (true, Ok(inv)) => {
                    self.inv_norms.push(inv);
                    self.ids.push((*id).into());
                    self.slots.insert_new(&self.ids, h, (first + i) as u32);
                }
                _ => {
                    undo(self, i);
                    return Err(metadata);
                }
            }
        }
        self.metadata.extend(
            metadata
                .into_iter()
                .chain(std::iter::repeat_with(|| None))
                .take(count)
                .map(|m| m.filter(|m| !m.is_empty()).map(Box::new)),
        );
        Ok(())
    }

    /// Reads the rows from `map` instead, as `runs` of (byte offset, rows) in slot order, when they
    /// cover every slot (compaction just wrote them there, byte for byte). Otherwise nothing changes.
    pub fn remap_rows(&mut self, map: &Arc<FileMap>, runs: &[(usize, usize)]) {
        let mut rows = Rows::new(self.dim);
        let all = runs
            .iter()
            .all(|(offset, n)| rows.push_mapped(map, *offset, *n));
        if all && rows.len() == self.len() {
            self.rows = rows;
        }
    }

    /// Room in the id index, ids, norms and metadata for `additional` more rows (not the rows).
    fn reserve_index(&mut self, additional: usize) {
        self.inv_norms.reserve(additional);
        self.ids.reserve(additional);
        self.metadata.reserve(additional);
        self.slots.reserve(&self.ids, additional);
    }

    /// Floats of row data held in this process's own memory (rows mapped from a log are not).
    pub fn owned_floats(&self) -> usize {
        self.rows.owned_floats()
    }

    fn check_params(&self, p: &SearchParams) -> Result<()> {
        if p.k == 0 {
            return Err(err(
                ErrorCode::InvalidArgument,
                "limit must be a positive integer",
            ));
        }
        if p.threshold.is_some_and(|t| !t.is_finite()) {
            return Err(err(
                ErrorCode::InvalidArgument,
                "threshold must be a finite number",
            ));
        }
        Ok(())
    }

    /// Exact k-nearest search for one query.
    pub fn search(&self, query: &[f32], p: &SearchParams) -> Result<Vec<SearchHit>> {
        self.check_params(p)?;
        let q_inv = self.check_vector(query, "query")?;
        let mut top = TopK::new(p.k, &self.ids);
        let mut scores = [0.0f32; BLOCK_ROWS];
        self.scan_into(query, q_inv, 0, self.len(), p.filter, &mut top, &mut scores);
        Ok(self.finish(top, p.threshold))
    }

    /// Exact k-nearest search for `queries.len() / dim` queries, spread over the CPU's cores when the
    /// batch is big enough to pay for the threads.
    pub fn search_batch(&self, queries: &[f32], p: &SearchParams) -> Result<Vec<Vec<SearchHit>>> {
        self.check_params(p)?;
        if !queries.len().is_multiple_of(self.dim) {
            return Err(err(
                ErrorCode::DimensionMismatch,
                format!(
                    "{} query floats are not a multiple of dimension {}",
                    queries.len(),
                    self.dim
                ),
            ));
        }
        let q_inv: Vec<f32> = queries
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, q)| self.check_vector(q, &format!("query {i}")))
            .collect::<Result<_>>()?;
        let threads = batch_threads(q_inv.len(), self.len() * self.dim);
        if threads <= 1 {
            return Ok(self.search_queries(queries, &q_inv, p));
        }
        // Each thread takes a contiguous share of the queries and scans every row for them, exactly
        // as the single-threaded loop would: the results are identical, only the wall time changes.
        let per = q_inv.len().div_ceil(threads);
        let mut shares = queries.chunks(per * self.dim).zip(q_inv.chunks(per));
        let (first_q, first_inv) = shares.next().unwrap_or((&[], &[]));
        let params = *p;
        std::thread::scope(|scope| {
            let spawned: Vec<_> = shares
                .map(|(qs, inv)| {
                    let work = move || self.search_queries(qs, inv, &params);
                    // A thread that cannot be started leaves its share to this one.
                    std::thread::Builder::new()
                        .spawn_scoped(scope, work)
                        .map_err(|_| (qs, inv))
                })
                .collect();
            let mut all = self.search_queries(first_q, first_inv, &params);
            for handle in spawned {
                match handle {
                    Ok(h) => match h.join() {
                        Ok(hits) => all.extend(hits),
                        Err(panic) => std::panic::resume_unwind(panic),
                    },
                    Err((qs, inv)) => all.extend(self.search_queries(qs, inv, &params)),
                }
            }
            Ok(all)
        })
    }

    /// The single-threaded batch scan for `queries` (with their 1/‖q‖ in `q_inv`). Rows are visited
    /// in blocks and each block is scored against every query while it is still in cache.
    fn search_queries(
        &self,
        queries: &[f32],
        q_inv: &[f32],
        p: &SearchParams,
    ) -> Vec<Vec<SearchHit>> {
        let mut tops: Vec<TopK> = q_inv.iter().map(|_| TopK::new(p.k, &self.ids)).collect();
        let mut scores = [0.0f32; BLOCK_ROWS];
        // ~256 KiB of rows per block: they stay in L2 while every query passes over them.
        let block = ((256 * 1024) / (self.dim * 4)).clamp(16, 4096);
        let mut start = 0;
        while start < self.len() {
            let end = (start + block).min(self.len());
            // Four queries at a time where a four-query kernel applies (dot-based metrics, no
            // filter); the rest one by one. Both give the same scores bit for bit.
            let four = if self.four_query_scan(p.filter) {
                q_inv.len() / 4 * 4
            } else {
                0
            };
            for ((qs, inv), group) in queries[..four * self.dim]
                .chunks_exact(4 * self.dim)
                .zip(q_inv[..four].chunks_exact(4))
                .zip(tops[..four].chunks_exact_mut(4))
            {
                self.scan_into4(qs, inv, start, end, group);
            }
            for ((q, inv), top) in queries[four * self.dim..]
                .chunks_exact(self.dim)
                .zip(&q_inv[four..])
                .zip(tops[four..].iter_mut())
            {
                self.scan_into(q, *inv, start, end, p.filter, top, &mut scores);
            }
            start = end;
        }
        tops.into_iter()
            .map(|t| self.finish(t, p.threshold))
            .collect()
    }

    /// Whether `scan_into4` can serve a batch with this filter on this CPU.
    fn four_query_scan(&self, filter: Option<&Filter>) -> bool {
        matches!(self.metric, Metric::Cosine | Metric::DotProduct)
            && filter.is_none_or(|f| *f == Filter::All)
            && self
                .kernels
                .dot_rows4([&[]; 4], 0, &[], [&mut [], &mut [], &mut [], &mut []])
    }

    /// `scan_into` (unfiltered, dot-based metrics) for four queries (`qs` holds them back to back), each
    /// row loaded once for all four. Keys are computed exactly as `scan_into` computes them.
    fn scan_into4(&self, qs: &[f32], q_inv: &[f32], start: usize, end: usize, tops: &mut [TopK]) {
        let d = self.dim;
        let q = [
            &qs[..d],
            &qs[d..2 * d],
            &qs[2 * d..3 * d],
            &qs[3 * d..4 * d],
        ];
        let mut scores = [[0.0f32; BLOCK_ROWS]; 4];
        self.rows.for_each_run(start, end, |first, run| {
            for (k, block) in run.chunks(BLOCK_ROWS * d).enumerate() {
                let b = first + k * BLOCK_ROWS;
                let n = block.len() / d;
                let [s0, s1, s2, s3] = &mut scores;
                self.kernels.dot_rows4(
                    q,
                    d,
                    block,
                    [&mut s0[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]],
                );
                for (j, top) in tops.iter_mut().enumerate() {
                    let inv = q_inv[j];
                    for (i, raw) in scores[j][..n].iter().enumerate() {
                        let key = match self.metric {
                            Metric::Cosine => raw * inv * self.inv_norms[b + i],
                            _ => *raw,
                        };
                        top.push(key, (b + i) as u32);
                    }
                }
            }
        });
    }

    /// Scores rows `start..end` against `q` and offers them to `top`.
    #[allow(clippy::too_many_arguments)]
    fn scan_into(
        &self,
        q: &[f32],
        q_inv: f32,
        start: usize,
        end: usize,
        filter: Option<&Filter>,
        top: &mut TopK,
        scores: &mut [f32; BLOCK_ROWS],
    ) {
        let key = |raw: f32, slot: usize| match self.metric {
            Metric::Cosine => raw * q_inv * self.inv_norms[slot],
            Metric::DotProduct => raw,
            Metric::Euclidean | Metric::Manhattan => -raw,
        };
        let d = self.dim;
        match filter {
            Some(f) if *f != Filter::All => self.rows.for_each_run(start, end, |first, run| {
                for (i, row) in run.chunks_exact(d).enumerate() {
                    let s = first + i;
                    if f.matches(self.metadata[s].as_deref()) {
                        top.push(key(self.kernels.raw(self.metric, q, row), s), s as u32);
                    }
                }
            }),
            _ => self.rows.for_each_run(start, end, |first, run| {
                for (k, block) in run.chunks(BLOCK_ROWS * d).enumerate() {
                    let b = first + k * BLOCK_ROWS;
                    let out = &mut scores[..block.len() / d];
                    self.kernels.raw_rows(self.metric, q, block, out);
                    for (i, raw) in out.iter().enumerate() {
                        top.push(key(*raw, b + i), (b + i) as u32);
                    }
                }
            }),
        }
    }

    /// Converts kept candidates to hits; the threshold is applied after selection, which is exact
    /// because similarity is monotone in the ranking key.
    fn finish(&self, top: TopK, threshold: Option<f64>) -> Vec<SearchHit> {
        top.into_sorted()
            .into_iter()
            .map(|c| {
                let (similarity, distance) = self.metric.key_to_scores(c.key);
                (c.slot as usize, similarity, distance)
            })
            .filter(|(_, sim, _)| threshold.is_none_or(|t| *sim >= t))
            .map(|(s, similarity, distance)| SearchHit {
                id: self.ids[s].to_string(),
                similarity,
                distance,
                metadata: self.metadata[s].as_deref().cloned(),
            })
            .collect()
    }
}

/// Below this many floats scanned per thread (queries × rows × dimension), a batch stays on one
/// thread: starting another costs more than it saves.
const MIN_FLOATS_PER_THREAD: usize = 1 << 22;

/// How many threads a batch of `queries` over `floats` stored floats should use.
fn batch_threads(queries: usize, floats: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(16)
    });
    let by_work = queries.saturating_mul(floats) / MIN_FLOATS_PER_THREAD;
    cores.min(queries).min(by_work).max(1)
}

/// Checks one vector: its length, finiteness, and (under cosine) a usable norm. Returns 1/‖v‖.
fn check_row(kernels: &Kernels, metric: Metric, dim: usize, v: &[f32], what: &str) -> Result<f32> {
    if v.len() != dim {
        return Err(err(
            ErrorCode::DimensionMismatch,
            format!(
                "{what} has dimension {}, the store holds dimension {}",
                v.len(),
                dim
            ),
        ));
    }
    // One SIMD pass: a NaN or infinity anywhere makes Σx² non-finite (x² ≥ 0, so nothing cancels),
    // so the element scan runs only when the sum is not finite (a bad value or a float32 overflow).
    let sq = kernels.dot(v, v);
    if !sq.is_finite() {
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(err(
                ErrorCode::InvalidVector,
                format!("{what} has a non-finite value ({}) at index {i}", v[i]),
            ));
        }
    }
    let inv = inverse_norm(sq, v);
    if metric == Metric::Cosine && !(inv.is_finite() && inv > 0.0) {
        return Err(err(
            ErrorCode::InvalidVector,
            format!("{what} is a zero vector (or too small to normalise in float32): cosine is undefined"),
        ));
    }
    Ok(inv)
}

/// 1/‖v‖ from `sq` = v·v (the SIMD dot kernel), with an f64 fallback when float32 under- or overflows.
fn inverse_norm(sq: f32, v: &[f32]) -> f32 {
    if sq.is_finite() && sq > f32::MIN_POSITIVE {
        return 1.0 / sq.sqrt();
    }
    let sq64: f64 = v.iter().map(|x| (*x as f64) * (*x as f64)).sum();
    (1.0 / sq64.sqrt()) as f32
}

#[cfg(test)]
mod tests;
