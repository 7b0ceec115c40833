//! The D-gent datum store: `put/get/delete/list/causal_chain` over id-keyed datums, in memory or
//! backed by the log (one record per write; deletes are tombstones). `list` walks a time index so
//! "newest first" never sorts the whole store.
use crate::error::{err, ErrorCode, Result};
use crate::log::format::Reader;
use crate::log::{open_writer, read_only, Durability, LogWriter, Op, OpRef, StoreKind};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Ids are keys, not payloads; 2 KiB leaves room for any vector id (1 KiB) under any namespace prefix.
pub const MAX_ID_BYTES: usize = 2048;

#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub id: String,
    pub content: Vec<u8>,
    /// Milliseconds since the epoch, as given by the writer.
    pub created_at: f64,
    pub causal_parent: Option<String>,
    /// String pairs in the writer's order.
    pub metadata: Vec<(String, String)>,
}

/// Orders finite f64s by value as u64s (sign bit flipped; negatives inverted).
fn time_key(t: f64) -> u64 {
    let b = t.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

pub fn check_datum(d: &Datum) -> Result<()> {
    check_id(&d.id, "datum id")?;
    if let Some(p) = &d.causal_parent {
        check_id(p, "causalParent")?;
    }
    if !d.created_at.is_finite() {
        return Err(err(
            ErrorCode::InvalidArgument,
            "createdAt must be a finite number of milliseconds",
        ));
    }
    Ok(())
}

fn check_id(id: &str, what: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(err(
            ErrorCode::InvalidId,
            format!(
                "{what} must be 1 to {MAX_ID_BYTES} bytes of UTF-8, got {} bytes",
                id.len()
            ),
        ));
    }
    Ok(())
}

/// A datum's value in the log: created_at f64 · parent flag u8 [· parent] · n u32 · (key, value)* · content.
fn encode(d: &Datum) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        out.extend_from_slice(b);
    }
    let mut out = Vec::with_capacity(d.content.len() + 64);
    out.extend_from_slice(&d.created_at.to_le_bytes());
    match &d.causal_parent {
        Some(p) => {
            out.push(1);
            put(&mut out, p.as_bytes());
        }
        None => out.push(0),
    }
    out.extend_from_slice(&(d.metadata.len() as u32).to_le_bytes());
    for (k, v) in &d.metadata {
        put(&mut out, k.as_bytes());
        put(&mut out, v.as_bytes());
    }
    put(&mut out, &d.content);
    out
}

fn decode(id: &str, value: &[u8]) -> Result<Datum> {
    let mut r = Reader {
        b: value,
        at: 0,
        base: 0,
    };
    let created_at = r.f64()?;
    let causal_parent = match r.byte()? {
        0 => None,
        1 => Some(r.str()?.to_string()),
        f => {
            return Err(err(
                ErrorCode::StoreCorrupt,
                format!("datum {id:?}: bad parent flag {f}"),
            ))
        }
    };
    let n = r.u32()? as usize;
    let mut metadata = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        metadata.push((r.str()?.to_string(), r.str()?.to_string()));
    }
    let content = r.bytes()?.to_vec();
    if !r.done() {
        return Err(err(
            ErrorCode::StoreCorrupt,
            format!("datum {id:?}: trailing bytes"),
        ));
    }
    Ok(Datum {
        id: id.to_string(),
        content,
        created_at,
        causal_parent,
        metadata,
    })
}

struct Slot {
    datum: Datum,
    /// Order of the write: breaks ties between equal timestamps (the later write is newer).
    seq: u64,
}

#[derive(Default)]
struct Index {
    by_id: HashMap<String, Slot>,
    by_time: BTreeMap<(u64, u64), String>,
    next_seq: u64,
}

impl Index {
    fn put(&mut self, d: Datum) {
        self.delete(&d.id);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_time
            .insert((time_key(d.created_at), seq), d.id.clone());
        self.by_id.insert(d.id.clone(), Slot { datum: d, seq });
    }

    fn delete(&mut self, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some(old) => {
                self.by_time
                    .remove(&(time_key(old.datum.created_at), old.seq));
                true
            }
            None => false,
        }
    }

    fn apply(&mut self, ops: &[OpRef]) -> Result<()> {
        for op in ops {
            match op {
                OpRef::Put { key, value } => {
                    let d = decode(key, value)?;
                    self.put(d);
                }
                OpRef::Delete { key } => {
                    self.delete(key);
                }
                OpRef::Info { .. } => {}
                OpRef::Rows { .. } => {
                    return Err(err(
                        ErrorCode::StoreCorrupt,
                        "a datum store holds a vector rows record",
                    ))
                }
            }
        }
        Ok(())
    }
}

enum Mode {
    Memory,
    Writer(Arc<LogWriter>),
    ReadOnly,
}

pub struct DatumStore {
    index: Index,
    mode: Mode,
}

/// What `list` returns at most when the caller gives no limit.
pub const DEFAULT_LIST_LIMIT: usize = 100;

impl DatumStore {
    /// An ephemeral store (MemoryDgent): the same index, no log.
    pub fn memory() -> Self {
        DatumStore {
            index: Index::default(),
            mode: Mode::Memory,
        }
    }

    /// Opens (creating if needed) the datum store in `dir` for writing, replaying its log.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self> {
        let mut index = Index::default();
        let (log, _) = open_writer(dir, StoreKind::Datum, durability, |ops| index.apply(ops))?;
        Ok(DatumStore {
            index,
            mode: Mode::Writer(Arc::new(log)),
        })
    }

    /// A snapshot of the store in `dir` without taking its lock: safe beside a live writer.
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let mut index = Index::default();
        read_only(dir, StoreKind::Datum, |ops| index.apply(ops))?;
        Ok(DatumStore {
            index,
            mode: Mode::ReadOnly,
        })
    }

    /// The writer, for syncing outside the caller's lock (group commit). `None` in memory.
    pub fn log(&self) -> Option<Arc<LogWriter>> {
        match &self.mode {
            Mode::Writer(l) => Some(l.clone()),
            _ => None,
        }
    }

    fn append(&self, ops: &[Op]) -> Result<()> {
        match &self.mode {
            Mode::Memory => Ok(()),
            Mode::Writer(log) => log.append(ops).map(|_| ()),
            Mode::ReadOnly => Err(err(
                ErrorCode::InvalidArgument,
                "the store was opened read-only",
            )),
        }
    }

    /// Inserts or replaces `datums` as one atomic record.
    pub fn put_many(&mut self, datums: Vec<Datum>) -> Result<()> {
        for d in &datums {
            check_datum(d)?;
        }
        let ops: Vec<Op> = datums
            .iter()
            .map(|d| Op::Put {
                key: d.id.clone(),
                value: encode(d),
            })
            .collect();
        self.append(&ops)?;
        for d in datums {
            self.index.put(d);
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Datum> {
        self.index.by_id.get(id).map(|s| &s.datum)
    }

    pub fn delete(&mut self, id: &str) -> Result<bool> {
        if !self.index.by_id.contains_key(id) {
            return Ok(false);
        }
        self.append(&[Op::Delete { key: id.into() }])?;
        Ok(self.index.delete(id))
    }

    pub fn len(&self) -> usize {
        self.index.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.by_id.is_empty()
    }

    /// Newest first (by createdAt, then by write order). `prefix` is literal; `after` keeps
    /// `createdAt > after`.
    pub fn list(&self, prefix: &str, after: Option<f64>, limit: usize) -> Vec<&Datum> {
        let floor = after.map(time_key);
        self.index
            .by_time
            .iter()
            .rev()
            .take_while(|((t, _), _)| floor.is_none_or(|f| *t > f))
            .filter(|(_, id)| id.starts_with(prefix))
            .take(limit)
            .filter_map(|(_, id)| self.get(id))
            .collect()
    }

    /// Oldest first, ending at `id`; stops at a missing parent or at the first repeated id.
    pub fn causal_chain(&self, id: &str) -> Vec<&Datum> {
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(id);
        while let Some(at) = next {
            if !seen.insert(at) {
                break;
            }
            let Some(d) = self.get(at) else { break };
            chain.push(d);
            next = d.causal_parent.as_deref();
        }
        chain.reverse();
        chain
    }

    /// Rewrites the log as the live datums only (oldest first, so replay rebuilds the same order).
    pub fn compact(&mut self) -> Result<()> {
        let log = match &self.mode {
            Mode::Writer(l) => l.clone(),
            Mode::Memory => return Ok(()),
            Mode::ReadOnly => {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    "the store was opened read-only",
                ))
            }
        };
        let live = self.index.by_time.values().filter_map(|id| {
            self.get(id).map(|d| Op::Put {
                key: d.id.clone(),
                value: encode(d),
            })
        });
        log.compact(StoreKind::Datum, live).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
