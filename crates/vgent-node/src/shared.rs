//! The store shared between the JS thread and pool tasks, `None` once closed. A store is either the
//! Memory tier's plain collection or the D-gent tier's log-backed one; reads are the same for both.
use crate::error::{guard, to_napi};
use napi::{Env, Task};
use std::sync::{Arc, RwLock};
use vgent_core::log::LogWriter;
use vgent_core::persistent::PersistentCollection;
use vgent_core::{error::err, Collection, ErrorCode, Metadata};

pub enum Store {
    Memory(Collection),
    Persistent(PersistentCollection),
}

impl Store {
    pub fn collection(&self) -> &Collection {
        match self {
            Store::Memory(c) => c,
            Store::Persistent(p) => p.collection(),
        }
    }

    /// Inserts or replaces rows; a persistent store appends them to its log first (one record).
    pub fn upsert(
        &mut self,
        ids: &[String],
        vectors: &[f32],
        md: Vec<Option<Metadata>>,
    ) -> vgent_core::Result<()> {
        match self {
            Store::Memory(c) => c.upsert_batch(ids, vectors, md),
            Store::Persistent(p) => p.upsert_batch(ids, vectors, md).map(|_| ()),
        }
    }

    pub fn remove(&mut self, id: &str) -> vgent_core::Result<bool> {
        match self {
            Store::Memory(c) => Ok(c.remove(id)),
            Store::Persistent(p) => p.remove(id).map(|(removed, _)| removed),
        }
    }

    pub fn clear(&mut self) -> vgent_core::Result<usize> {
        match self {
            Store::Memory(c) => Ok(c.clear()),
            Store::Persistent(p) => p.clear().map(|(n, _)| n),
        }
    }

    /// The log to fsync after writes, for a persistent store.
    pub fn log(&self) -> Option<Arc<LogWriter>> {
        match self {
            Store::Memory(_) => None,
            Store::Persistent(p) => p.log().ok(),
        }
    }
}

#[derive(Clone)]
pub struct Shared(Arc<RwLock<Option<Store>>>);

fn closed() -> napi::Error {
    to_napi(err(ErrorCode::Closed, "the store is closed"))
}

impl Shared {
    pub fn new(s: Store) -> Self {
        Shared(Arc::new(RwLock::new(Some(s))))
    }

    // A poisoned lock only means a panic happened while it was held; the core leaves the collection
    // consistent at every early return, so the data is still usable.
    pub fn read<T>(&self, f: impl FnOnce(&Collection) -> vgent_core::Result<T>) -> napi::Result<T> {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        f(guard.as_ref().ok_or_else(closed)?.collection()).map_err(to_napi)
    }

    pub fn write<T>(&self, f: impl FnOnce(&mut Store) -> vgent_core::Result<T>) -> napi::Result<T> {
        let mut guard = self.0.write().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut().ok_or_else(closed)?).map_err(to_napi)
    }

    /// The log of a persistent, open store (`None` in memory, read-only or after `close`).
    pub fn log(&self) -> Option<Arc<LogWriter>> {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().and_then(|s| s.log())
    }

    /// Drops the store after making every appended write durable, so that writes still waiting for
    /// their fsync are safe to acknowledge.
    pub fn close(&self) -> napi::Result<()> {
        let store = self.0.write().unwrap_or_else(|p| p.into_inner()).take();
        sync_log(store.as_ref().and_then(|s| s.log()))
    }
}

/// Makes every record appended to `log` so far durable; without a log there is nothing to do.
pub fn sync_log(log: Option<Arc<LogWriter>>) -> napi::Result<()> {
    match log {
        Some(log) => log.sync(log.appended()).map_err(to_napi),
        None => Ok(()),
    }
}

/// fsync on the libuv pool for any store kind. The log is looked up when the task runs, without
/// the store lock, so writers arriving meanwhile append and share the next fsync (group commit);
/// after `close` there is none, and nothing left to do: closing synced everything appended.
pub struct SyncTask {
    log: Box<dyn Fn() -> Option<Arc<LogWriter>> + Send>,
}

impl SyncTask {
    pub fn new(log: impl Fn() -> Option<Arc<LogWriter>> + Send + 'static) -> Self {
        SyncTask { log: Box::new(log) }
    }
}

impl Task for SyncTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        guard(|| sync_log((self.log)()))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}
