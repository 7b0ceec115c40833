//! A collection backed by the log: every change is appended (one record per call, so batches are
//! atomic) before it is applied in memory, and the log is replayed on open.
use crate::collection::Collection;
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

/// A vector entry's value in the log: the float32 LE vector, then the metadata JSON (possibly empty).
fn encode_value(row: &[f32], md: Option<&Metadata>) -> Vec<u8> {
    let mut v = crate::codec::encode_f32_le(row);
    if let Some(m) = md {
        v.extend_from_slice(m.to_json().as_bytes());
    }
    v
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
                    let md = if value.len() > split {
                        let text = std::str::from_utf8(&value[split..])
                            .map_err(|_| corrupt(format!("metadata of {key:?} is not UTF-8")))?;
                        Some(Metadata::from_json(text)?)
                    } else {
                        None
                    };
                    c.upsert_le(key, &value[..split], md)?;
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
        let ops: Vec<Op> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Op::Put {
                key: id.clone(),
                value: encode_value(
                    &vectors[i * dim..(i + 1) * dim],
                    metadata.get(i).and_then(|m| m.as_ref()),
                ),
            })
            .collect();
        let seq = log.append(&ops)?;
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

    /// Rewrites the log as the live entries only.
    pub fn compact(&mut self) -> Result<()> {
        let log = self.log()?;
        let info = StoreInfo {
            dimension: self.collection.dimension(),
            metric: self.collection.metric().as_str().into(),
        };
        let head = Op::Info {
            value: serde_json::to_vec(&info).unwrap_or_default(),
        };
        let live = self.collection.iter().map(|(id, row, md)| Op::Put {
            key: id.into(),
            value: encode_value(row, md),
        });
        log.compact(StoreKind::Vector, std::iter::once(head).chain(live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::SearchParams;

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
}
