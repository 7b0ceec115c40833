//! The collection shared between the JS thread and pool tasks, `None` once closed.
use crate::error::to_napi;
use std::sync::{Arc, RwLock};
use vgent_core::{error::err, Collection, ErrorCode};

#[derive(Clone)]
pub struct Shared(Arc<RwLock<Option<Collection>>>);

fn closed() -> napi::Error {
    to_napi(err(ErrorCode::Closed, "the store is closed"))
}

impl Shared {
    pub fn new(c: Collection) -> Self {
        Shared(Arc::new(RwLock::new(Some(c))))
    }

    // A poisoned lock only means a panic happened while it was held; the core leaves the collection
    // consistent at every early return, so the data is still usable.
    pub fn read<T>(&self, f: impl FnOnce(&Collection) -> vgent_core::Result<T>) -> napi::Result<T> {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        f(guard.as_ref().ok_or_else(closed)?).map_err(to_napi)
    }

    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Collection) -> vgent_core::Result<T>,
    ) -> napi::Result<T> {
        let mut guard = self.0.write().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut().ok_or_else(closed)?).map_err(to_napi)
    }

    pub fn close(&self) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
