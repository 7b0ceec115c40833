//! The persisted log behind the D-gent tier: format, recovery, and the writer. See `FORMAT.md`.
#![doc = include_str!("FORMAT.md")]
pub mod format;
pub mod recover;
pub mod writer;

pub use format::{Op, OpRef, StoreKind};
pub use recover::{RepairReport, ReplayReport};
pub use writer::{open_writer, read_only, repair, Durability, LogWriter};

#[cfg(test)]
mod tests;
