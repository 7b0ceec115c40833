//! `NativeCollection`: the Memory tier's native object. Private to the package; the public API is the
//! hand-written TypeScript `MemoryVectorBackend`, which validates arguments and orders calls.
use crate::error::{guard, to_napi};
use crate::shared::SyncTask;
use crate::shared::{Shared, Store};
use crate::tasks::{SearchBatchTask, SearchTask, UpsertTask};
use napi::bindgen_prelude::{AsyncTask, Float32Array, Float32ArraySlice};
use napi_derive::napi;
use vgent_core::log::Durability;
use vgent_core::persistent::PersistentCollection;
use vgent_core::{Collection, Metric};

/// One search hit; `metadata` is JSON text (or absent when the entry has none).
#[napi(object)]
pub struct NativeHit {
    pub id: String,
    pub similarity: f64,
    pub distance: f64,
    pub metadata: Option<String>,
}

/// A stored entry: a copy of its vector and its metadata as JSON text.
#[napi(object)]
pub struct NativeEntry {
    pub vector: Float32Array,
    pub metadata: Option<String>,
}

/// Entries copied out in bulk: `ids.length` rows of `vectors`, metadata as a JSON array (null = none).
#[napi(object)]
pub struct NativeBatch {
    pub ids: Vec<String>,
    pub vectors: Float32Array,
    pub metadata_json: String,
}

#[napi]
pub struct NativeCollection {
    shared: Shared,
}

impl NativeCollection {
    pub fn from_shared(shared: Shared) -> Self {
        NativeCollection { shared }
    }
}

#[napi]
impl NativeCollection {
    #[napi(constructor)]
    pub fn new(dimension: u32, metric: String) -> napi::Result<Self> {
        guard(|| {
            let metric = Metric::parse(&metric).map_err(to_napi)?;
            let c = Collection::new(dimension as usize, metric).map_err(to_napi)?;
            Ok(NativeCollection {
                shared: Shared::new(Store::Memory(c)),
            })
        })
    }

    /// Opens (creating if needed) a log-backed store in `dir` for writing, replaying its log. Writes
    /// are appended before they are applied; call `syncAsync` before acknowledging them.
    #[napi(factory)]
    pub fn open_persistent(
        dir: String,
        dimension: u32,
        metric: String,
        fsync: bool,
    ) -> napi::Result<Self> {
        guard(|| {
            let metric = Metric::parse(&metric).map_err(to_napi)?;
            let durability = if fsync {
                Durability::Fsync
            } else {
                Durability::None
            };
            let p = PersistentCollection::open(
                std::path::Path::new(&dir),
                dimension as usize,
                metric,
                durability,
            )
            .map_err(to_napi)?;
            Ok(NativeCollection {
                shared: Shared::new(Store::Persistent(p)),
            })
        })
    }

    /// Makes every write appended so far durable (fsync on the pool; concurrent calls share one).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn sync_async(&self) -> AsyncTask<SyncTask> {
        let shared = self.shared.clone();
        AsyncTask::new(SyncTask::new(move || shared.log()))
    }

    /// Rewrites a persistent store's log as its live entries only.
    #[napi]
    pub fn compact(&self) -> napi::Result<()> {
        guard(|| {
            self.shared.write(|s| match s {
                Store::Persistent(p) => p.compact(),
                Store::Memory(_) => Ok(()),
            })
        })
    }

    /// Inserts or replaces `ids.length` rows from one row-major buffer, atomically, on this thread.
    #[napi]
    pub fn upsert(
        &self,
        ids: Vec<String>,
        vectors: Float32ArraySlice,
        metadata_json: Option<String>,
    ) -> napi::Result<()> {
        guard(|| {
            let md = crate::tasks::parse_metadata(metadata_json.as_deref(), ids.len())?;
            self.shared.write(|s| s.upsert(&ids, &vectors, md))
        })
    }

    /// `upsert` on the libuv pool, reading the caller's buffer in place (no copy before the store's).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn upsert_async(
        &self,
        ids: Vec<String>,
        vectors: Float32Array,
        metadata_json: Option<String>,
    ) -> AsyncTask<UpsertTask> {
        AsyncTask::new(UpsertTask {
            shared: self.shared.clone(),
            ids,
            vectors,
            metadata_json,
        })
    }

    /// Checks a batch exactly as `upsert` would, without storing it: lets a caller persist a batch
    /// elsewhere first and apply it only once it is known to be valid.
    #[napi]
    pub fn validate(
        &self,
        ids: Vec<String>,
        vectors: Float32ArraySlice,
        metadata_json: Option<String>,
    ) -> napi::Result<()> {
        guard(|| {
            let md = crate::tasks::parse_metadata(metadata_json.as_deref(), ids.len())?;
            self.shared
                .read(|c| c.validate_batch(&ids, &vectors, &md).map(|_| ()))
        })
    }

    #[napi]
    pub fn remove(&self, id: String) -> napi::Result<bool> {
        guard(|| self.shared.write(|s| s.remove(&id)))
    }

    #[napi]
    pub fn clear(&self) -> napi::Result<u32> {
        guard(|| self.shared.write(|s| s.clear().map(|n| n as u32)))
    }

    #[napi]
    pub fn get(&self, id: String) -> napi::Result<Option<NativeEntry>> {
        guard(|| {
            self.shared.read(|c| {
                Ok(c.get(&id).map(|(vector, md)| NativeEntry {
                    vector: Float32Array::new(vector),
                    metadata: md.map(|m| m.to_json()),
                }))
            })
        })
    }

    /// Every id, in slot order: a snapshot for export and migration.
    #[napi]
    pub fn ids(&self) -> napi::Result<Vec<String>> {
        guard(|| {
            self.shared
                .read(|c| Ok(c.iter().map(|(id, _, _)| id.to_string()).collect()))
        })
    }

    /// The entries of `ids` that exist (missing ids are skipped), in one buffer.
    #[napi]
    pub fn get_many(&self, ids: Vec<String>) -> napi::Result<NativeBatch> {
        guard(|| {
            self.shared.read(|c| {
                let mut found = Vec::with_capacity(ids.len());
                let mut vectors = Vec::with_capacity(ids.len() * c.dimension());
                // Each entry's metadata is already JSON text: join it into an array, no re-parse.
                let mut metadata: Vec<String> = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some((row, md)) = c.get(&id) {
                        vectors.extend_from_slice(&row);
                        metadata.push(md.map_or_else(|| "null".to_string(), |m| m.to_json()));
                        found.push(id);
                    }
                }
                Ok(NativeBatch {
                    ids: found,
                    vectors: Float32Array::new(vectors),
                    metadata_json: format!("[{}]", metadata.join(",")),
                })
            })
        })
    }

    #[napi]
    pub fn has(&self, id: String) -> napi::Result<bool> {
        guard(|| self.shared.read(|c| Ok(c.contains(&id))))
    }

    #[napi]
    pub fn count(&self) -> napi::Result<u32> {
        guard(|| self.shared.read(|c| Ok(c.len() as u32)))
    }

    /// Exact top-k for one query, on this thread (for small stores, where a thread hop costs more).
    #[napi]
    pub fn search(
        &self,
        query: Float32ArraySlice,
        k: u32,
        threshold: Option<f64>,
        filter_json: Option<String>,
    ) -> napi::Result<Vec<NativeHit>> {
        guard(|| {
            crate::tasks::run_search(&self.shared, &query, k, threshold, filter_json.as_deref())
        })
    }

    #[napi(ts_return_type = "Promise<NativeHit[]>")]
    pub fn search_async(
        &self,
        query: Float32Array,
        k: u32,
        threshold: Option<f64>,
        filter_json: Option<String>,
    ) -> AsyncTask<SearchTask> {
        AsyncTask::new(SearchTask {
            shared: self.shared.clone(),
            query,
            k,
            threshold,
            filter_json,
        })
    }

    /// Exact top-k for `queries.length / dimension` queries, on this thread.
    #[napi]
    pub fn search_batch(
        &self,
        queries: Float32ArraySlice,
        k: u32,
        threshold: Option<f64>,
        filter_json: Option<String>,
    ) -> napi::Result<Vec<Vec<NativeHit>>> {
        guard(|| {
            crate::tasks::run_search_batch(
                &self.shared,
                &queries,
                k,
                threshold,
                filter_json.as_deref(),
            )
        })
    }

    #[napi(ts_return_type = "Promise<NativeHit[][]>")]
    pub fn search_batch_async(
        &self,
        queries: Float32Array,
        k: u32,
        threshold: Option<f64>,
        filter_json: Option<String>,
    ) -> AsyncTask<SearchBatchTask> {
        AsyncTask::new(SearchBatchTask {
            shared: self.shared.clone(),
            queries,
            k,
            threshold,
            filter_json,
        })
    }

    /// Syncs what was appended, then frees the vectors; every later call fails with `CLOSED`.
    #[napi]
    pub fn close(&self) -> napi::Result<()> {
        guard(|| self.shared.close())
    }
}
