//! vgent's N-API binding: a thin layer over `vgent-core`. Everything here converts arguments, takes
//! the collection's lock, and turns core errors (and any panic) into JS errors.
mod collection;
pub mod dgent;
mod error;
pub mod open;
mod shared;
mod tasks;

use napi_derive::napi;
use vgent_core::simd::Kernels;

/// What the native core runs on: the SIMD instruction set chosen for this CPU and the core's version.
#[napi(object)]
pub struct NativeInfo {
    /// `avx512`, `avx2`, `sse` (x86-64 baseline), `neon` or `scalar`.
    pub isa: String,
    /// Every instruction set this CPU could run, weakest first.
    pub available: Vec<String>,
    pub version: String,
}

#[napi]
pub fn native_info() -> NativeInfo {
    NativeInfo {
        isa: Kernels::active().isa().name().to_string(),
        available: Kernels::available()
            .iter()
            .map(|i| i.name().to_string())
            .collect(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}
