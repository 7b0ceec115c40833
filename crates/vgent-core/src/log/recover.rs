//! Reading a log back: verify every record, keep a torn tail out, refuse silent corruption.
use super::format::{
    decode_ops, parse_header, read_frame, Frame, OpRef, StoreKind, FRAME_LEN, HEADER_LEN,
    MAX_RECORD,
};
use crate::error::{err, ErrorCode, Result};
use std::fs::File;
use std::io::Read;
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

/// How much of the log is read at a time: big enough to amortise syscalls, small enough that replay
/// never holds a second copy of the store in memory.
const CHUNK: usize = 8 << 20;

/// A forward-only window over the log file.
struct Window {
    file: File,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Read position inside `buf`.
    pos: usize,
    eof: bool,
}

impl Window {
    /// Makes at least `n` bytes available from `pos` (fewer only at end of file); returns how many are.
    fn ensure(&mut self, n: usize) -> std::io::Result<usize> {
        if self.buf.len() - self.pos < n && !self.eof {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
            let want = n.max(CHUNK);
            while self.buf.len() < want {
                let at = self.buf.len();
                self.buf.resize(want, 0);
                let got = self.file.read(&mut self.buf[at..])?;
                self.buf.truncate(at + got);
                if got == 0 {
                    self.eof = true;
                    break;
                }
            }
        }
        Ok(self.buf.len() - self.pos)
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Whether every byte from the read position to the end of the file is zero.
    fn rest_is_zero(&mut self) -> std::io::Result<bool> {
        loop {
            if self.buf[self.pos..].iter().any(|b| *b != 0) {
                return Ok(false);
            }
            self.pos = self.buf.len();
            if self.ensure(1)? == 0 {
                return Ok(true);
            }
        }
    }
}

/// Page size a torn write is assumed to be made of: a crash can persist some pages of an append and
/// not others, and unwritten pages of a file read back as zeros.
const PAGE: u64 = 4096;

/// Whether the bad frame at `at` is what a crash mid-append leaves rather than damage to data that was
/// written whole: its claimed length runs past the end of the file (or is absurd), or it is the last
/// frame and everything from a page boundary inside it to the end is zero, or every byte from it to
/// the end is zero. A complete last record with a flipped bit is none of these: it is corruption.
fn is_torn(w: &mut Window, at: u64) -> std::io::Result<bool> {
    let b = &w.buf[w.pos..];
    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
    let file_len = w.file.metadata()?.len().max(w.base + w.buf.len() as u64);
    let end = at + FRAME_LEN as u64 + len;
    if len > MAX_RECORD as u64 || end > file_len {
        return Ok(true);
    }
    if end == file_len {
        let page = (at / PAGE + 1) * PAGE;
        if page < end
            && b[(page - at) as usize..(end - at) as usize]
                .iter()
                .all(|x| *x == 0)
        {
            return Ok(true);
        }
    }
    w.rest_is_zero()
}

/// Reads `path` and calls `visit` with the ops of each verified record, in order, streaming the file
/// through a fixed window.
pub fn replay(
    path: &Path,
    kind: StoreKind,
    mut visit: impl FnMut(&[OpRef]) -> Result<()>,
) -> Result<ReplayReport> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| err(ErrorCode::Io, format!("cannot read {name}: {e}"));
    let file = File::open(path).map_err(io)?;
    let mut w = Window {
        file,
        buf: Vec::with_capacity(CHUNK),
        base: 0,
        pos: 0,
        eof: false,
    };
    w.ensure(HEADER_LEN).map_err(io)?;
    let found = parse_header(&w.buf, &name)?;
    if found != kind {
        return Err(err(
            ErrorCode::StoreMismatch,
            format!("{name} holds a {found:?} store, not a {kind:?} store"),
        ));
    }
    w.pos = HEADER_LEN;
    let mut records = 0;
    let mut valid_end = HEADER_LEN as u64;
    loop {
        let have = w.ensure(FRAME_LEN).map_err(io)?;
        if have == 0 {
            break;
        }
        if have >= FRAME_LEN {
            let b = &w.buf[w.pos..];
            let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
            if len <= MAX_RECORD {
                w.ensure(FRAME_LEN + len).map_err(io)?;
            }
        }
        let at = w.offset();
        match read_frame(&w.buf[w.pos..]) {
            Frame::Ok { payload, total } => {
                let ops = decode_ops(payload)
                    .map_err(|e| err(e.code, format!("{name} at offset {at}: {}", e.message)))?;
                visit(&ops)?;
                records += 1;
                w.pos += total;
                valid_end = w.offset();
            }
            Frame::Truncated => break,
            Frame::Bad => {
                if is_torn(&mut w, at).map_err(io)? {
                    break;
                }
                return Err(err(
                    ErrorCode::StoreCorrupt,
                    format!("{name}: record at offset {at} fails its checksum (damaged, not a torn write); run repairStore to salvage the intact records"),
                ));
            }
        }
    }
    // What follows the last verified record (a torn write) is measured against the file's real end.
    let file_len = w.file.metadata().map_err(io)?.len();
    Ok(ReplayReport {
        records,
        valid_end,
        torn_bytes: file_len.saturating_sub(valid_end),
    })
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
