//! Reading a log back: verify every record, keep a torn tail out, refuse silent corruption.
use super::format::{
    decode_ops, parse_header, read_frame, Frame, OpRef, StoreKind, FRAME_LEN, HEADER_LEN,
};
use crate::error::{err, ErrorCode, Result};
use std::path::Path;

/// What replay found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    pub records: u64,
    /// Offset just past the last verified record: where appends continue.
    pub valid_end: u64,
    /// Bytes after `valid_end` that belonged to a write cut short by a crash.
    pub torn_bytes: u64,
}

/// Reads `path` and calls `visit` with the ops of each verified record, in order.
pub fn replay(
    path: &Path,
    kind: StoreKind,
    mut visit: impl FnMut(&[OpRef]) -> Result<()>,
) -> Result<ReplayReport> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| err(ErrorCode::Io, format!("cannot read {name}: {e}")))?;
    let found = parse_header(&bytes, &name)?;
    if found != kind {
        return Err(err(
            ErrorCode::StoreMismatch,
            format!("{name} holds a {found:?} store, not a {kind:?} store"),
        ));
    }
    let mut at = HEADER_LEN;
    let mut records = 0;
    while at < bytes.len() {
        match read_frame(&bytes[at..]) {
            Frame::Ok { payload, total } => {
                let ops = decode_ops(payload).map_err(|e| err(e.code, format!("{name} at offset {at}: {}", e.message)))?;
                visit(&ops)?;
                records += 1;
                at += total;
            }
            Frame::Truncated => break,
            Frame::Bad if is_torn_tail(&bytes[at..]) => break,
            Frame::Bad => {
                return Err(err(
                    ErrorCode::StoreCorrupt,
                    format!("{name}: record at offset {at} fails its checksum and more data follows; run repairStore to salvage the intact records"),
                ))
            }
        }
    }
    Ok(ReplayReport {
        records,
        valid_end: at as u64,
        torn_bytes: (bytes.len() - at) as u64,
    })
}

/// A bad frame is a torn tail when it is the last thing in the file (its claimed length reaches the
/// end) or when everything from it to the end is zero (blocks a crash allocated but never wrote).
fn is_torn_tail(rest: &[u8]) -> bool {
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    FRAME_LEN.saturating_add(len) >= rest.len() || rest.iter().all(|b| *b == 0)
}

/// Result of `repair`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    pub kept_records: u64,
    /// Damaged stretches skipped (each may have held one or more records).
    pub dropped_regions: u64,
    pub dropped_bytes: u64,
}

/// Scans `bytes` (a whole log) and returns the verified records' frames, resynchronising after damage
/// by searching for the next offset where a record verifies.
pub fn salvage(bytes: &[u8]) -> (Vec<&[u8]>, RepairReport) {
    let mut frames = Vec::new();
    let mut report = RepairReport {
        kept_records: 0,
        dropped_regions: 0,
        dropped_bytes: 0,
    };
    let mut at = HEADER_LEN.min(bytes.len());
    let mut in_damage = false;
    while at < bytes.len() {
        match read_frame(&bytes[at..]) {
            Frame::Ok { payload, total } if decode_ops(payload).is_ok() => {
                frames.push(&bytes[at..at + total]);
                report.kept_records += 1;
                in_damage = false;
                at += total;
            }
            _ => {
                if !in_damage {
                    report.dropped_regions += 1;
                    in_damage = true;
                }
                report.dropped_bytes += 1;
                at += 1;
            }
        }
    }
    (frames, report)
}
