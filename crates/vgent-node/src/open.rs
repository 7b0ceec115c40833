//! Opening and repairing log-backed stores on the libuv pool: replaying or salvaging a big log
//! takes as long as reading its bytes, and must never block the event loop.
use crate::collection::NativeCollection;
use crate::error::{guard, to_napi};
use crate::shared::{Shared, Store};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use std::path::Path;
use vgent_core::log::{repair, Durability};
use vgent_core::persistent::PersistentCollection;
use vgent_core::{error::err, ErrorCode, Metric};

pub struct OpenCollectionTask {
    dir: String,
    dimension: u32,
    metric: String,
    fsync: bool,
    read_only: bool,
}

impl OpenCollectionTask {
    fn open(&self) -> vgent_core::Result<PersistentCollection> {
        let dir = Path::new(&self.dir);
        let metric = Metric::parse(&self.metric)?;
        if !self.read_only {
            let durability = if self.fsync {
                Durability::Fsync
            } else {
                Durability::None
            };
            return PersistentCollection::open(dir, self.dimension as usize, metric, durability);
        }
        let p = PersistentCollection::open_read_only(dir)?;
        let c = p.collection();
        if c.dimension() != self.dimension as usize || c.metric() != metric {
            return Err(err(
                ErrorCode::StoreMismatch,
                format!(
                    "the store at {} holds dimension {} with metric {}; it was opened with dimension {} and metric {}",
                    dir.display(),
                    c.dimension(),
                    c.metric().as_str(),
                    self.dimension,
                    metric.as_str()
                ),
            ));
        }
        Ok(p)
    }
}

impl Task for OpenCollectionTask {
    type Output = PersistentCollection;
    type JsValue = NativeCollection;

    fn compute(&mut self) -> napi::Result<PersistentCollection> {
        guard(|| self.open().map_err(to_napi))
    }

    fn resolve(&mut self, _env: Env, p: PersistentCollection) -> napi::Result<NativeCollection> {
        Ok(NativeCollection::from_shared(Shared::new(
            Store::Persistent(p),
        )))
    }
}

/// Opens a log-backed vector store: for writing (taking its lock) or as a read-only snapshot.
#[napi(ts_return_type = "Promise<NativeCollection>")]
pub fn open_persistent_async(
    dir: String,
    dimension: u32,
    metric: String,
    fsync: bool,
    read_only: bool,
) -> AsyncTask<OpenCollectionTask> {
    AsyncTask::new(OpenCollectionTask {
        dir,
        dimension,
        metric,
        fsync,
        read_only,
    })
}

/// What `repairStoreAsync` salvaged.
#[napi(object)]
pub struct NativeRepairReport {
    pub kept_records: f64,
    pub dropped_regions: f64,
    pub dropped_bytes: f64,
}

pub struct RepairTask {
    dir: String,
}

impl Task for RepairTask {
    type Output = NativeRepairReport;
    type JsValue = NativeRepairReport;

    fn compute(&mut self) -> napi::Result<NativeRepairReport> {
        guard(|| {
            let r = repair(Path::new(&self.dir)).map_err(to_napi)?;
            Ok(NativeRepairReport {
                kept_records: r.kept_records as f64,
                dropped_regions: r.dropped_regions as f64,
                dropped_bytes: r.dropped_bytes as f64,
            })
        })
    }

    fn resolve(&mut self, _env: Env, r: NativeRepairReport) -> napi::Result<NativeRepairReport> {
        Ok(r)
    }
}

/// Salvages every intact record of the store in `dir` (vector or datum store) into a fresh log,
/// keeping the damaged file as `data.log.corrupt`.
#[napi(ts_return_type = "Promise<NativeRepairReport>")]
pub fn repair_store_async(dir: String) -> AsyncTask<RepairTask> {
    AsyncTask::new(RepairTask { dir })
}
