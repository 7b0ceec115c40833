//! A collection backed by the log: every change is appended (one record per call, so batches are
//! atomic) before it is applied in memory, and the log is replayed on open.
use crate::collection::{Collection, FileMap};
use crate::error::{err, ErrorCode, Result};
use crate::log::writer::LOG_FILE;
use crate::log::{
    open_writer, read_only, Durability, LogWriter, Op, OpRef, ReplayReport, StoreKind,
};
use crate::metadata::Metadata;
use crate::metric::Metric;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// What a vector store records about itself, checked on every open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoreInfo {
    dimension: usize,
    metric: String,
}

pub struct PersistentCollection {
    collection: Collection,
    /// `None` for a read-only view.
    log: Option<Arc<LogWriter>>,
    report: ReplayReport,
}

/// Rows per rows op written by compaction: about 8 MiB of vectors per record.
fn compact_rows_per_op(dim: usize) -> usize {
    ((8 << 20) / (dim * 4)).max(1)
}

/// One rows op for a batch: the vectors side by side (float32 LE bytes), then each id with its
/// metadata JSON.
fn rows_op<'a>(
    dim: usize,
    rows: Vec<u8>,
    entries: impl Iterator<Item = (&'a str, Option<&'a Metadata>)>,
) -> Op {
    Op::Rows {
        dim: dim as u32,
        rows,
        entries: entries
            .map(|(id, md)| {
                let json = md.map(|m| m.to_json().into_bytes()).unwrap_or_default();
                (id.to_string(), json)
            })
            .collect(),
    }
}

/// Parses a vector entry's metadata JSON (empty: none).
fn parse_metadata(
    corrupt: &impl Fn(String) -> crate::error::VgentError,
    key: &str,
    json: &[u8],
) -> Result<Option<Metadata>> {
    if json.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(json)
        .map_err(|_| corrupt(format!("metadata of {key:?} is not UTF-8")))?;
    Ok(Some(Metadata::from_json(text)?))
}

/// Maps the log copy-on-write for zero-copy rows, where that is safe on this platform. Windows can
/// neither truncate nor replace a file that is mapped, which the writer must do: it copies instead.
fn map_log(path: &Path) -> Option<Arc<FileMap>> {
    if !cfg!(unix) || !crate::log::recover::maps_allowed() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    FileMap::new(&file).ok().flatten()
}

fn parse_info(dir: &Path, value: &[u8], want: Option<(usize, Metric)>) -> Result<Collection> {
    let info: StoreInfo = serde_json::from_slice(value).map_err(|e| {
        err(
            ErrorCode::StoreCorrupt,
            format!("{}: bad store info: {e}", dir.display()),
        )
    })?;
    let metric = Metric::parse(&info.metric)?;
    if let Some((dim, m)) = want {
        if dim != info.dimension || m != metric {
            return Err(err(
                ErrorCode::StoreMismatch,
                format!(
                    "the store at {} holds dimension {} with metric {}; it was opened with dimension {dim} and metric {}",
                    dir.display(),
                    info.dimension,
                    info.metric,
                    m.as_str()
                ),
            ));
        }
    }
    Collection::new(info.dimension, metric)
}

/// Bytes one put takes in the log at the least: tag, key length, a 1-byte key, value length, vector.
fn min_put_bytes(dim: usize) -> u64 {
    (1 + 4 + 1 + 4 + dim * 4) as u64
}

/// How many puts ahead replay prefetches the id index (a few cache misses in flight at once).
const PREFETCH_AHEAD: usize = 8;

fn replayer<'a>(
    dir: &'a Path,
    collection: &'a mut Option<Collection>,
    want: Option<(usize, Metric)>,
) -> impl FnMut(&[OpRef]) -> Result<()> + 'a {
    let corrupt = move |what: String| {
        err(
            ErrorCode::StoreCorrupt,
            format!("{}: {what}", dir.display()),
        )
    };
    let log_path = dir.join(LOG_FILE);
    let mut map: Option<Arc<FileMap>> = None;
    move |ops| {
        for (i, op) in ops.iter().enumerate() {
            // Each new id lands in a random bucket of the id index: ask for the bucket of the id a
            // few puts ahead, so that its cache miss overlaps with this put's work.
            if let (Some(OpRef::Put { key, .. }), Some(c)) =
                (ops.get(i + PREFETCH_AHEAD), &collection)
            {
                c.prefetch_id(key);
            }
            match op {
                OpRef::Info { value } => {
                    let mut c = parse_info(dir, value, want)?;
                    // The log's size bounds how many rows it can hold: reserve them once (address
                    // space only; pages are touched as rows arrive) instead of growing and copying.
                    if let Ok(meta) = std::fs::metadata(dir.join(LOG_FILE)) {
                        let rows = meta.len() / min_put_bytes(c.dimension());
                        c.reserve_rows(usize::try_from(rows).unwrap_or(0));
                    }
                    *collection = Some(c);
                }
                OpRef::Put { key, value } => {
                    let c = collection
                        .as_mut()
                        .ok_or_else(|| corrupt("a vector before the store info".into()))?;
                    let split = c.dimension() * 4;
                    if value.len() < split {
                        return Err(corrupt(format!("vector {key:?} is too short")));
                    }
                    let md = parse_metadata(&corrupt, key, &value[split..])?;
                    c.upsert_le(key, &value[..split], md)?;
                }
                OpRef::Rows {
                    dim,
                    rows,
                    rows_offset,
                    entries,
                } => {
                    let c = collection
                        .as_mut()
                        .ok_or_else(|| corrupt("vectors before the store info".into()))?;
                    if *dim as usize != c.dimension() {
                        return Err(corrupt(format!(
                            "a record holds vectors of dimension {dim}, the store dimension {}",
                            c.dimension()
                        )));
                    }
                    let mut metadata = Vec::with_capacity(entries.len());
                    for (key, json) in entries {
                        metadata.push(parse_metadata(&corrupt, key, json)?);
                    }
                    // The rows are read in place from a map of the log when they are all new ids
                    // (a fresh batch, or a compacted log): no copy, no fresh memory.
                    let end = rows_offset + rows.len() as u64;
                    if map.as_ref().is_none_or(|m| (m.len() as u64) < end) {
                        map = map_log(&log_path);
                    }
                    let ids: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
                    let offset = usize::try_from(*rows_offset).ok();
                    let unmapped = match (&map, offset) {
                        (Some(m), Some(o)) => c.push_mapped(&ids, m, o, metadata).err(),
                        _ => Some(metadata),
                    };
                    // Not read in place: the metadata came back, store the rows one by one.
                    if let Some(metadata) = unmapped {
                        let row_bytes = c.dimension() * 4;
                        for ((key, md), row) in
                            ids.iter().zip(metadata).zip(rows.chunks_exact(row_bytes))
                        {
                            c.upsert_le(key, row, md)?;
                        }
                    }
                }
                OpRef::Delete { key } => {
                    if let Some(c) = collection.as_mut() {
                        c.remove(key);
                    }
                }
            }
        }
        Ok(())
    }
}

impl PersistentCollection {
    /// Opens (creating if needed) the vector store in `dir` for writing.
    pub fn open(
        dir: &Path,
        dimension: usize,
        metric: Metric,
        durability: Durability,
    ) -> Result<Self> {
        let mut collection = None;
        let (log, report) = open_writer(
            dir,
            StoreKind::Vector,
            durability,
            replayer(dir, &mut collection, Some((dimension, metric))),
        )?;
        let collection = match collection {
            Some(c) => c,
            None => {
                let c = Collection::new(dimension, metric)?;
                let info = StoreInfo {
                    dimension,
                    metric: metric.as_str().into(),
                };
                let seq = log.append(&[Op::Info {
                    value: serde_json::to_vec(&info).unwrap_or_default(),
                }])?;
                log.sync(seq)?;
                c
            }
        };
        Ok(PersistentCollection {
            collection,
            log: Some(Arc::new(log)),
            report,
        })
    }

    /// A read-only snapshot of the store in `dir`, safe beside a live writer.
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let mut collection = None;
        let report = read_only(dir, StoreKind::Vector, replayer(dir, &mut collection, None))?;
        let collection = collection.ok_or_else(|| {
            err(
                ErrorCode::StoreCorrupt,
                format!("{}: no store info", dir.display()),
            )
        })?;
        Ok(PersistentCollection {
            collection,
            log: None,
            report,
        })
    }

    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    pub fn replay_report(&self) -> &ReplayReport {
        &self.report
    }

    /// The writer, for `sync` outside the caller's lock (so concurrent writers share an fsync).
    pub fn log(&self) -> Result<Arc<LogWriter>> {
        self.log
            .clone()
            .ok_or_else(|| err(ErrorCode::InvalidArgument, "the store was opened read-only"))
    }

    /// Validates, appends one record for the whole batch, then applies it. Returns the record's
    /// sequence number: the caller acknowledges after `log.sync(seq)`.
    pub fn upsert_batch(
        &mut self,
        ids: &[String],
        vectors: &[f32],
        metadata: Vec<Option<Metadata>>,
    ) -> Result<u64> {
        let log = self.log()?;
        let inv = self.collection.validate_batch(ids, vectors, &metadata)?;
        let dim = self.collection.dimension();
        let entries = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), metadata.get(i).and_then(|m| m.as_ref())));
        let rows = crate::codec::encode_f32_le(vectors);
        let seq = log.append(&[rows_op(dim, rows, entries)])?;
        self.collection.apply_batch(ids, vectors, &inv, metadata);
        Ok(seq)
    }

    /// Appends a tombstone when the id exists. Returns whether it existed and the sequence to sync.
    pub fn remove(&mut self, id: &str) -> Result<(bool, u64)> {
        let log = self.log()?;
        if !self.collection.contains(id) {
            return Ok((false, 0));
        }
        let seq = log.append(&[Op::Delete { key: id.into() }])?;
        self.collection.remove(id);
        Ok((true, seq))
    }

    /// Tombstones every id in one record.
    pub fn clear(&mut self) -> Result<(usize, u64)> {
        let log = self.log()?;
        if self.collection.is_empty() {
            return Ok((0, 0));
        }
        let ops: Vec<Op> = self
            .collection
            .iter()
            .map(|(id, _, _)| Op::Delete { key: id.into() })
            .collect();
        let seq = log.append(&ops)?;
        Ok((self.collection.clear(), seq))
    }

    /// Rewrites the log as the live entries only, then reads the rows in place from the new log
    /// (the old log's space is freed, and so is the memory of rows written since open).
    pub fn compact(&mut self) -> Result<()> {
        let log = self.log()?;
        let info = StoreInfo {
            dimension: self.collection.dimension(),
            metric: self.collection.metric().as_str().into(),
        };
        let head = Op::Info {
            value: serde_json::to_vec(&info).unwrap_or_default(),
        };
        let dim = self.collection.dimension();
        let per_op = compact_rows_per_op(dim);
        let mut all = self.collection.iter().peekable();
        let live = std::iter::from_fn(move || {
            all.peek()?;
            let mut rows = Vec::with_capacity(per_op * dim * 4);
            let mut entries = Vec::with_capacity(per_op);
            for (id, row, md) in all.by_ref().take(per_op) {
                crate::codec::encode_f32_le_into(row, &mut rows);
                entries.push((id, md));
            }
            Some(rows_op(dim, rows, entries.into_iter()))
        });
        let rows_at = log.compact(StoreKind::Vector, std::iter::once(head).chain(live))?;
        if let Some(map) = map_log(&log.dir().join(LOG_FILE)) {
            let len = self.collection.len();
            let runs: Vec<(usize, usize)> = rows_at
                .iter()
                .enumerate()
                .map(|(k, at)| (*at as usize, per_op.min(len - k * per_op)))
                .collect();
            self.collection.remap_rows(&map, &runs);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::SearchParams;
    use crate::log::{read_only, OpRef, StoreKind};

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("vgent-pc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn survives_reopen_including_deletes_and_re_adds() {
        let d = dir("reopen");
        {
            let mut p =
                PersistentCollection::open(&d, 2, Metric::Euclidean, Durability::Fsync).unwrap();
            let md = Metadata::from_json(r#"{"t":"ünï","n":1}"#).unwrap();
            let seq = p
                .upsert_batch(
                    &["a".into(), "b".into()],
                    &[1.0, 2.0, 3.0, 4.0],
                    vec![Some(md), None],
                )
                .unwrap();
            p.log().unwrap().sync(seq).unwrap();
            p.remove("a").unwrap();
            p.upsert_batch(&["a".into()], &[5.0, 6.0], vec![]).unwrap(); // deleted, then re-added
        }
        let p = PersistentCollection::open(&d, 2, Metric::Euclidean, Durability::Fsync).unwrap();
        let c = p.collection();
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("a").unwrap(), (vec![5.0, 6.0], None));
        assert_eq!(c.get("b").unwrap().0, vec![3.0, 4.0]);
        let hits = c
            .search(
                &[5.0, 6.0],
                &SearchParams {
                    k: 1,
                    threshold: None,
                    filter: None,
                },
            )
            .unwrap();
        assert_eq!(hits[0].id, "a");
    }

    #[test]
    fn refuses_another_dimension_or_metric_and_says_what_it_holds() {
        let d = dir("mismatch");
        drop(PersistentCollection::open(&d, 3, Metric::Cosine, Durability::None).unwrap());
        let e = PersistentCollection::open(&d, 4, Metric::Cosine, Durability::None)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::StoreMismatch);
        assert!(
            e.message.contains("dimension 3 with metric cosine"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_rejected_batch_writes_nothing() {
        let d = dir("reject");
        {
            let mut p =
                PersistentCollection::open(&d, 2, Metric::Cosine, Durability::None).unwrap();
            assert!(p
                .upsert_batch(&["x".into(), "y".into()], &[1.0, 1.0, 0.0, 0.0], vec![])
                .is_err());
        }
        let p = PersistentCollection::open(&d, 2, Metric::Cosine, Durability::None).unwrap();
        assert!(p.collection().is_empty());
        assert_eq!(p.replay_report().records, 1); // only the store info
    }

    #[test]
    fn compaction_preserves_the_live_state() {
        let d = dir("compact");
        {
            let mut p =
                PersistentCollection::open(&d, 1, Metric::DotProduct, Durability::None).unwrap();
            for i in 0..50 {
                p.upsert_batch(&[format!("k{}", i % 5)], &[i as f32], vec![])
                    .unwrap();
            }
            p.remove("k0").unwrap();
            p.compact().unwrap();
            p.upsert_batch(&["late".into()], &[7.0], vec![]).unwrap();
        }
        let p = PersistentCollection::open(&d, 1, Metric::DotProduct, Durability::None).unwrap();
        assert_eq!(p.collection().len(), 5);
        assert_eq!(p.collection().get("k4").unwrap().0, vec![49.0]);
        assert!(!p.collection().contains("k0"));
        assert_eq!(p.replay_report().records, 2);
    }

    /// Whether rows are read in place (`VGENT_NO_MAP` runs the same tests on the copying path).
    fn mapping() -> bool {
        cfg!(unix) && crate::log::recover::maps_allowed()
    }

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn all_rows(c: &Collection) -> Vec<(String, Vec<f32>, Option<Metadata>)> {
        let mut v: Vec<_> = c
            .iter()
            .map(|(id, row, md)| (id.to_string(), row.to_vec(), md.cloned()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn a_reopened_store_reads_fresh_batches_in_place_and_writes_copy_on_write() {
        let d = dir("mapped");
        let md = Metadata::from_json(r#"{"k":"v"}"#).unwrap();
        let before = {
            let mut p =
                PersistentCollection::open(&d, 3, Metric::Cosine, Durability::None).unwrap();
            let a = ids("a", 100);
            let rows: Vec<f32> = (0..300).map(|i| (i % 7) as f32 + 1.0).collect();
            p.upsert_batch(&a, &rows, vec![Some(md.clone()); 100])
                .unwrap();
            p.upsert_batch(&ids("b", 10), &rows[..30], vec![]).unwrap();
            all_rows(p.collection())
        };
        let mut p = PersistentCollection::open(&d, 3, Metric::Cosine, Durability::None).unwrap();
        if mapping() {
            assert_eq!(
                p.collection().owned_floats(),
                0,
                "rows should be mapped, not copied"
            );
        }
        assert_eq!(all_rows(p.collection()), before);
        // Writes after the reopen: an update in place, removals that move rows, new rows.
        p.upsert_batch(&["a5".into()], &[9.0, 9.0, 9.0], vec![])
            .unwrap();
        p.remove("a0").unwrap();
        p.remove("b9").unwrap();
        p.upsert_batch(&["c".into()], &[1.0, 0.0, 0.0], vec![])
            .unwrap();
        let after = all_rows(p.collection());
        assert_eq!(p.collection().get("a5").unwrap().0, vec![9.0, 9.0, 9.0]);
        assert!(!p.collection().contains("a0") && p.collection().contains("a99"));
        drop(p);
        // The file was never written through the map: a reopen sees the log, not the copies.
        let p = PersistentCollection::open(&d, 3, Metric::Cosine, Durability::None).unwrap();
        assert_eq!(all_rows(p.collection()), after);
        let hit = p
            .collection()
            .search(
                &[9.0, 9.0, 9.0],
                &SearchParams {
                    k: 1,
                    threshold: None,
                    filter: None,
                },
            )
            .unwrap();
        assert!(hit[0].similarity > 0.9999);
    }

    #[test]
    fn batches_that_update_or_repeat_ids_replay_by_copy_with_the_same_result() {
        let d = dir("mapped-mixed");
        let before = {
            let mut p =
                PersistentCollection::open(&d, 2, Metric::Euclidean, Durability::None).unwrap();
            p.upsert_batch(&ids("x", 3), &[1., 1., 2., 2., 3., 3.], vec![])
                .unwrap();
            // x1 exists already; y repeats within the batch (the last one wins).
            let batch: Vec<String> = vec!["x1".into(), "y".into(), "y".into()];
            p.upsert_batch(&batch, &[7., 7., 8., 8., 9., 9.], vec![])
                .unwrap();
            // New ids with a repeat at the end: the in-place attempt undoes two ids, then copies.
            let batch: Vec<String> = vec!["z".into(), "w".into(), "z".into()];
            p.upsert_batch(&batch, &[4., 4., 5., 5., 6., 6.], vec![])
                .unwrap();
            all_rows(p.collection())
        };
        let p = PersistentCollection::open(&d, 2, Metric::Euclidean, Durability::None).unwrap();
        assert_eq!(all_rows(p.collection()), before);
        assert_eq!(p.collection().get("y").unwrap().0, vec![9.0, 9.0]);
        assert_eq!(p.collection().get("x1").unwrap().0, vec![7.0, 7.0]);
        assert_eq!(p.collection().get("z").unwrap().0, vec![6.0, 6.0]);
        assert_eq!(p.collection().len(), 6);
    }

    #[test]
    fn compaction_writes_aligned_rows_and_reads_them_in_place() {
        let d = dir("mapped-compact");
        let mut p =
            PersistentCollection::open(&d, 5, Metric::DotProduct, Durability::None).unwrap();
        let rows: Vec<f32> = (0..5 * 500).map(|i| i as f32 * 0.5).collect();
        p.upsert_batch(&ids("r", 500), &rows, vec![]).unwrap();
        for i in 0..50 {
            p.remove(&format!("r{i}")).unwrap();
        }
        let before = all_rows(p.collection());
        assert!(p.collection().owned_floats() > 0);
        p.compact().unwrap();
        if mapping() {
            assert_eq!(
                p.collection().owned_floats(),
                0,
                "compaction should remap the rows"
            );
        }
        assert_eq!(all_rows(p.collection()), before);
        let mut offsets = Vec::new();
        read_only(&d, StoreKind::Vector, |ops| {
            for op in ops {
                if let OpRef::Rows { rows_offset, .. } = op {
                    offsets.push(*rows_offset);
                }
            }
            Ok(())
        })
        .unwrap();
        assert!(!offsets.is_empty());
        assert!(
            offsets
                .iter()
                .all(|o| o % crate::log::format::ROWS_ALIGN == 0),
            "{offsets:?}"
        );
        p.upsert_batch(&["late".into()], &[1.0; 5], vec![]).unwrap();
        drop(p);
        let p = PersistentCollection::open(&d, 5, Metric::DotProduct, Durability::None).unwrap();
        assert_eq!(p.collection().len(), 451);
    }

    #[test]
    fn a_read_only_view_maps_rows_appended_after_its_writer_opened() {
        let d = dir("mapped-reader");
        let mut w = PersistentCollection::open(&d, 2, Metric::Cosine, Durability::None).unwrap();
        w.upsert_batch(&ids("p", 4), &[1., 2., 3., 4., 5., 6., 7., 8.], vec![])
            .unwrap();
        let r1 = PersistentCollection::open_read_only(&d).unwrap();
        w.upsert_batch(&ids("q", 2), &[1., 0., 0., 1.], vec![])
            .unwrap();
        let r2 = PersistentCollection::open_read_only(&d).unwrap();
        assert_eq!(r1.collection().len(), 4);
        assert_eq!(r2.collection().len(), 6);
        assert_eq!(r2.collection().get("q1").unwrap().0, vec![0.0, 1.0]);
        assert_eq!(all_rows(r2.collection()), all_rows(w.collection()));
    }
}
