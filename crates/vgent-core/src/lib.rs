//! vgent-core: the native heart of vgent, free of any N-API dependency.
//!
//! - [`simd`]: distance kernels per instruction set, chosen at run time.
//! - [`topk`]: bounded top-k with the protocol's ordering (similarity desc, id asc).
//! - [`filter`]: evaluation of the canonical filter tree during a scan.
//! - [`metadata`], [`codec`]: the values kept beside vectors and the float32 wire format.
//! - [`collection`]: the in-memory store behind the Memory tier.
pub mod alloc;
pub mod codec;
pub mod collection;
pub mod datum;
pub mod error;
pub mod filter;
pub mod log;
pub mod metadata;
pub mod metric;
pub mod persistent;
pub mod simd;
pub mod topk;

pub use collection::{Collection, SearchHit, SearchParams};
pub use error::{ErrorCode, Result, VgentError};
pub use filter::Filter;
pub use metadata::Metadata;
pub use metric::Metric;
