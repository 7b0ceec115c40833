//! The one conversion from core errors to JS errors. The stable code travels as a message prefix
//! (`CODE: message`) that the TypeScript layer turns into `VgentError.code`.
use napi::{Error, Status};
use std::panic::{catch_unwind, AssertUnwindSafe};
use vgent_core::{ErrorCode, VgentError};

pub fn to_napi(e: VgentError) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

pub fn internal(message: impl Into<String>) -> Error {
    to_napi(VgentError::new(ErrorCode::Internal, message))
}

/// Runs `f`, turning a panic into an `INTERNAL` error: no panic may unwind into Node.
pub fn guard<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(internal(format!("native panic: {what}")))
    })
}
