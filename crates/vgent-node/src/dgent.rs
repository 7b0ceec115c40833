//! `NativeDgent`: the datum store behind `MemoryDgent` and `FileDgent`. Private to the package; the
//! TypeScript classes validate arguments and acknowledge writes only after `syncAsync`.
use crate::error::{guard, to_napi};
use crate::shared::{sync_log, SyncTask};
use napi::bindgen_prelude::{AsyncTask, Buffer, Uint8Array};
use napi::{Env, Task};
use napi_derive::napi;
use std::path::Path;
use std::sync::{Arc, RwLock};
use vgent_core::datum::{Datum, DatumStore, DEFAULT_LIST_LIMIT};
use vgent_core::log::{Durability, LogWriter};
use vgent_core::{error::err, ErrorCode};

/// A stored datum; `metadataJson` is a JSON object of strings, in the writer's key order.
#[napi(object)]
pub struct NativeDatum {
    pub id: String,
    pub content: Buffer,
    pub created_at: f64,
    pub causal_parent: Option<String>,
    pub metadata_json: String,
}

fn to_native(d: &Datum) -> NativeDatum {
    let md: serde_json::Map<String, serde_json::Value> = d
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    NativeDatum {
        id: d.id.clone(),
        content: d.content.clone().into(),
        created_at: d.created_at,
        causal_parent: d.causal_parent.clone(),
        metadata_json: serde_json::Value::Object(md).to_string(),
    }
}

fn parse_metadata(json: &str) -> vgent_core::Result<Vec<(String, String)>> {
    let bad = |why: String| err(ErrorCode::InvalidArgument, format!("datum metadata {why}"));
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| bad(format!("is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("must be an object".into()))?;
    obj.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(bad(format!("value of {k:?} must be a string"))),
        })
        .collect()
}

#[derive(Clone)]
struct SharedDgent(Arc<RwLock<Option<DatumStore>>>);

fn closed() -> napi::Error {
    to_napi(err(ErrorCode::Closed, "the D-gent store is closed"))
}

// A poisoned lock only means a panic happened while it was held; the store stays consistent because
// the core applies a write to its index only after the log append succeeded.
impl SharedDgent {
    fn new(s: DatumStore) -> Self {
        SharedDgent(Arc::new(RwLock::new(Some(s))))
    }

    fn read<T>(&self, f: impl FnOnce(&DatumStore) -> T) -> napi::Result<T> {
        let g = self.0.read().unwrap_or_else(|p| p.into_inner());
        Ok(f(g.as_ref().ok_or_else(closed)?))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut DatumStore) -> vgent_core::Result<T>,
    ) -> napi::Result<T> {
        let mut g = self.0.write().unwrap_or_else(|p| p.into_inner());
        f(g.as_mut().ok_or_else(closed)?).map_err(to_napi)
    }

    /// The log of a file store that is open for writing (`None` otherwise, and after `close`).
    fn log(&self) -> Option<Arc<LogWriter>> {
        let g = self.0.read().unwrap_or_else(|p| p.into_inner());
        g.as_ref().and_then(|s| s.log())
    }
}

#[napi]
pub struct NativeDgent {
    shared: SharedDgent,
}

fn durability(fsync: bool) -> Durability {
    if fsync {
        Durability::Fsync
    } else {
        Durability::None
    }
}

#[napi]
impl NativeDgent {
    /// An ephemeral in-memory store.
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeDgent {
            shared: SharedDgent::new(DatumStore::memory()),
        }
    }

    /// Opens (creating if needed) the log-backed store in directory `dir`, on this thread.
    #[napi(factory)]
    pub fn open(dir: String, fsync: bool) -> napi::Result<Self> {
        guard(|| {
            let s = DatumStore::open(Path::new(&dir), durability(fsync)).map_err(to_napi)?;
            Ok(NativeDgent {
                shared: SharedDgent::new(s),
            })
        })
    }

    /// A snapshot of the store in `dir`, opened without its lock (safe beside a live writer).
    #[napi(factory)]
    pub fn open_read_only(dir: String) -> napi::Result<Self> {
        guard(|| {
            let s = DatumStore::open_read_only(Path::new(&dir)).map_err(to_napi)?;
            Ok(NativeDgent {
                shared: SharedDgent::new(s),
            })
        })
    }

    /// Appends and applies one datum (upsert). Acknowledge it after `syncAsync`.
    #[napi]
    pub fn put(
        &self,
        id: String,
        content: Uint8Array,
        created_at: f64,
        causal_parent: Option<String>,
        metadata_json: String,
    ) -> napi::Result<()> {
        guard(|| {
            let metadata = parse_metadata(&metadata_json).map_err(to_napi)?;
            let d = Datum {
                id,
                content: content.to_vec(),
                created_at,
                causal_parent,
                metadata,
            };
            self.shared.write(|s| s.put_many(vec![d]))
        })
    }

    #[napi]
    pub fn get(&self, id: String) -> napi::Result<Option<NativeDatum>> {
        guard(|| self.shared.read(|s| s.get(&id).map(to_native)))
    }

    #[napi]
    pub fn delete(&self, id: String) -> napi::Result<bool> {
        guard(|| self.shared.write(|s| s.delete(&id)))
    }

    #[napi]
    pub fn exists(&self, id: String) -> napi::Result<bool> {
        guard(|| self.shared.read(|s| s.get(&id).is_some()))
    }

    #[napi]
    pub fn count(&self) -> napi::Result<u32> {
        guard(|| self.shared.read(|s| s.len() as u32))
    }

    /// Newest first; `prefix` is literal; `after` keeps `createdAt > after`; `limit` defaults to 100.
    #[napi]
    pub fn list(
        &self,
        prefix: Option<String>,
        after: Option<f64>,
        limit: Option<f64>,
    ) -> napi::Result<Vec<NativeDatum>> {
        guard(|| {
            let limit = limit.map_or(DEFAULT_LIST_LIMIT, |l| l.min(usize::MAX as f64) as usize);
            self.shared.read(|s| {
                s.list(prefix.as_deref().unwrap_or(""), after, limit)
                    .into_iter()
                    .map(to_native)
                    .collect()
            })
        })
    }

    #[napi]
    pub fn causal_chain(&self, id: String) -> napi::Result<Vec<NativeDatum>> {
        guard(|| {
            self.shared
                .read(|s| s.causal_chain(&id).into_iter().map(to_native).collect())
        })
    }

    /// Makes every write appended so far durable (fsync on the pool; concurrent calls share one).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn sync_async(&self) -> AsyncTask<SyncTask> {
        let shared = self.shared.clone();
        AsyncTask::new(SyncTask::new(move || shared.log()))
    }

    /// Rewrites the log as the live datums only, swapped in atomically.
    #[napi]
    pub fn compact(&self) -> napi::Result<()> {
        guard(|| self.shared.write(|s| s.compact()))
    }

    /// Syncs what was appended, then drops the store (and its lock); later calls fail with `CLOSED`.
    #[napi]
    pub fn close(&self) -> napi::Result<()> {
        guard(|| {
            let store = self
                .shared
                .0
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            sync_log(store.as_ref().and_then(|s| s.log()))
        })
    }
}

impl Default for NativeDgent {
    fn default() -> Self {
        Self::new()
    }
}

pub struct OpenDgentTask {
    dir: String,
    fsync: bool,
    read_only: bool,
}

impl Task for OpenDgentTask {
    type Output = DatumStore;
    type JsValue = NativeDgent;

    fn compute(&mut self) -> napi::Result<DatumStore> {
        guard(|| {
            let dir = Path::new(&self.dir);
            if self.read_only {
                DatumStore::open_read_only(dir)
            } else {
                DatumStore::open(dir, durability(self.fsync))
            }
            .map_err(to_napi)
        })
    }

    fn resolve(&mut self, _env: Env, store: DatumStore) -> napi::Result<NativeDgent> {
        Ok(NativeDgent {
            shared: SharedDgent::new(store),
        })
    }
}

/// Opens a datum store on the libuv pool: replaying a big log never blocks the event loop.
#[napi(ts_return_type = "Promise<NativeDgent>")]
pub fn open_dgent_async(dir: String, fsync: bool, read_only: bool) -> AsyncTask<OpenDgentTask> {
    AsyncTask::new(OpenDgentTask {
        dir,
        fsync,
        read_only,
    })
}
