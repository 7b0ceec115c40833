//! Reading a log back: verify every record, keep a torn tail out, refuse silent corruption.
use super::format::{
    decode_ops, decode_some, parse_header, read_frame, Frame, OpRef, Reader, StoreKind, FRAME_LEN,
    HEADER_LEN, MAX_RECORD,
};
use crate::error::{err, ErrorCode, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
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

/// How much of the log one refill reads (more when a record is bigger): big enough to amortise
/// syscalls, small enough that replay never holds a second copy of the store in memory.
const CHUNK: usize = 8 << 20;
/// Refilled buffers that may wait for the applier. None: the reader hands a buffer over only when
/// the applier takes it, so replay cycles through two buffers (each fresh one costs page faults).
const QUEUED: usize = 0;

/// Whole, verified records read from the file: frames back to back in `buf[..]`.
struct Chunk {
    buf: Vec<u8>,
}

/// Where reading stopped.
struct End {
    records: u64,
    valid_end: u64,
}

/// Reads the log after its header and verifies each record's checksum, handing out runs of whole
/// verified records. Runs on its own thread during replay, so that copying the file out of the page
/// cache and checksumming it overlap with applying the records.
struct RecordReader {
    file: File,
    name: String,
    /// File offset of the next byte to read.
    offset: u64,
    eof: bool,
    records: u64,
    /// Set when reading is over (a clean end, a torn tail, or an error).
    end: Option<Result<End>>,
}

impl RecordReader {
    /// Appends up to `n` bytes from the file to `buf`; fewer only at end of file.
    fn fill(&mut self, buf: &mut Vec<u8>, n: usize) -> std::io::Result<()> {
        let start = buf.len();
        if buf.capacity() - start < n {
            crate::alloc::reserve_exact(buf, n);
        }
        // `read_to_end` reads straight into the spare capacity (retrying on EINTR): nothing is
        // zeroed first, where `resize` + `read` wrote zeros over every refill.
        let got = (&self.file).take(n as u64).read_to_end(buf);
        let read = buf.len() - start;
        self.offset += read as u64;
        got?;
        if read < n {
            self.eof = true;
        }
        Ok(())
    }

    fn io(&self, e: std::io::Error) -> crate::error::VgentError {
        err(ErrorCode::Io, format!("cannot read {}: {e}", self.name))
    }

    /// The next run of verified records, read into `buf` (its old contents are dropped), or `None`
    /// when reading is over; `end` then says why.
    fn next_chunk(&mut self, mut buf: Vec<u8>) -> Option<Chunk> {
        if self.end.is_some() {
            return None;
        }
        match self.read_chunk(&mut buf) {
            Ok(true) => Some(Chunk { buf }),
            Ok(false) => None,
            Err(e) => {
                self.end = Some(Err(e));
                None
            }
        }
    }

    /// Fills `buf` with whole verified records, reading exactly to the end of the last one so that
    /// no partial record has to be carried over. Returns whether it holds any.
    fn read_chunk(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        let base = self.offset;
        self.fill(buf, CHUNK).map_err(|e| self.io(e))?;
        let mut at = 0;
        loop {
            if buf.len() - at < FRAME_LEN {
                let more = FRAME_LEN - (buf.len() - at);
                self.fill(buf, more).map_err(|e| self.io(e))?;
            }
            if buf.len() == at {
                // The end of the file, right after a whole record.
                return self.finish(base + at as u64, buf, at);
            }
            if buf.len() - at >= FRAME_LEN {
                let b = &buf[at..];
                let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let frame_end = at + FRAME_LEN + len;
                if len <= MAX_RECORD && buf.len() < frame_end {
                    let more = frame_end - buf.len();
                    self.fill(buf, more).map_err(|e| self.io(e))?;
                }
            }
            match read_frame(&buf[at..]) {
                Frame::Ok { total, .. } => {
                    self.records += 1;
                    at += total;
                    if at == buf.len() && !self.eof {
                        // Everything read is verified: hand it over.
                        return Ok(true);
                    }
                }
                // A write cut short: the torn tail is what follows the last verified record.
                Frame::Truncated => return self.finish(base + at as u64, buf, at),
                Frame::Bad => {
                    let at_offset = base + at as u64;
                    if self
                        .is_torn(&buf[at..], at_offset)
                        .map_err(|e| self.io(e))?
                    {
                        return self.finish(at_offset, buf, at);
                    }
                    return Err(err(
                        ErrorCode::StoreCorrupt,
                        format!("{}: record at offset {at_offset} fails its checksum (damaged, not a torn write); run repairStore to salvage the intact records", self.name),
                    ));
                }
            }
        }
    }

    /// `torn_tail` for the bad frame at the start of `rest` (file offset `at`), reading the file
    /// past what is in hand (reading is over by then, so the file's position no longer matters).
    fn is_torn(&self, rest: &[u8], at: u64) -> std::io::Result<bool> {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as u64;
        let file_len = self.file.metadata()?.len();
        let file = &self.file;
        torn_tail(len, at, file_len, |from| {
            let mut file = file;
            file.seek(SeekFrom::Start(from))?;
            let mut chunk = vec![0u8; CHUNK];
            loop {
                match file.read(&mut chunk)? {
                    0 => return Ok(true),
                    n if chunk[..n].iter().any(|b| *b != 0) => return Ok(false),
                    _ => {}
                }
            }
        })
    }

    /// Ends reading at `valid_end`, keeping the verified records of `buf[..verified]`.
    fn finish(&mut self, valid_end: u64, buf: &mut Vec<u8>, verified: usize) -> Result<bool> {
        buf.truncate(verified);
        self.end = Some(Ok(End {
            records: self.records,
            valid_end,
        }));
        Ok(verified > 0)
    }
}

/// Ops handed to `visit` per call. A record can hold tens of thousands of ops and tens of MB: decoding
/// all of them before applying any would read every op from memory twice (once to decode, once to
/// apply); a few hundred at a time are still in cache when they are applied.
const OPS_PER_VISIT: usize = 256;

/// Calls `visit` with the ops of every record in `chunk`, in order, at most `OPS_PER_VISIT` at a time
/// (a record's ops may come in several calls; an empty record gives one call with none). The reader
/// verified the records, so only the lengths are read here. A malformed record may have some of its
/// ops visited before the error is found; replay then fails as a whole.
fn apply(
    records: &[u8],
    name: &str,
    base: &mut u64,
    visit: &mut impl FnMut(&[OpRef]) -> Result<()>,
) -> Result<()> {
    let mut at = 0;
    let mut ops = Vec::with_capacity(OPS_PER_VISIT);
    while at < records.len() {
        let b = &records[at..];
        let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let mut r = Reader {
            b: &b[FRAME_LEN..FRAME_LEN + len],
            at: 0,
            base: *base + (at + FRAME_LEN) as u64,
        };
        loop {
            ops.clear();
            decode_some(&mut r, &mut ops, OPS_PER_VISIT).map_err(|e| {
                let offset = *base + at as u64;
                err(e.code, format!("{name} at offset {offset}: {}", e.message))
            })?;
            visit(&ops)?;
            if r.done() {
                break;
            }
        }
        at += FRAME_LEN + len;
    }
    *base += at as u64;
    Ok(())
}

/// Reads `path` and calls `visit` with the ops of each verified record, in order (a big record's ops
/// in several calls, see `apply`). The file is
/// streamed through a few reused buffers by a reader thread (read + checksum) while this thread
/// decodes and applies; without a thread, both happen here in turn.
/// The page size a torn write is assumed to be made of.
const PAGE: u64 = 4096;

pub fn replay(
    path: &Path,
    kind: StoreKind,
    mut visit: impl FnMut(&[OpRef]) -> Result<()>,
) -> Result<ReplayReport> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| err(ErrorCode::Io, format!("cannot read {name}: {e}"));
    let mut file = File::open(path).map_err(io)?;
    let mut header = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match file.read(&mut header[got..]).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    let found = parse_header(&header[..got], &name)?;
    if found != kind {
        return Err(err(
            ErrorCode::StoreMismatch,
            format!("{name} holds a {found:?} store, not a {kind:?} store"),
        ));
    }
    if let Some(map) = map_whole(&file) {
        return replay_mapped(&map, &name, visit);
    }
    // Behind a mutex only so that it is still ours when a thread cannot be started; never contended.
    let reader = std::sync::Mutex::new(RecordReader {
        file,
        name: name.clone(),
        offset: HEADER_LEN as u64,
        eof: false,
        records: 0,
        end: None,
    });
    let mut base = HEADER_LEN as u64;
    std::thread::scope(|scope| -> Result<()> {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Chunk>(QUEUED);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let reader_ref = &reader;
        let spawned = std::thread::Builder::new()
            .name("vgent-replay".into())
            .spawn_scoped(scope, move || {
                let mut reader = reader_ref.lock().unwrap_or_else(|p| p.into_inner());
                while let Some(chunk) = reader.next_chunk(empty_rx.try_recv().unwrap_or_default()) {
                    // The applier hung up (it failed): stop reading.
                    if full_tx.send(chunk).is_err() {
                        break;
                    }
                }
            });
        match spawned {
            Ok(handle) => {
                for chunk in full_rx.iter() {
                    apply(&chunk.buf, &name, &mut base, &mut visit)?;
                    let _ = empty_tx.send(chunk.buf);
                }
                if let Err(panic) = handle.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Err(_) => {
                // No thread to be had: read and apply in turn.
                let mut reader = reader.lock().unwrap_or_else(|p| p.into_inner());
                let mut buf = Vec::new();
                while let Some(chunk) = reader.next_chunk(buf) {
                    apply(&chunk.buf, &name, &mut base, &mut visit)?;
                    buf = chunk.buf;
                }
            }
        }
        Ok(())
    })?;
    let mut reader = reader.into_inner().unwrap_or_else(|p| p.into_inner());
    let end = reader
        .end
        .take()
        .unwrap_or_else(|| Err(err(ErrorCode::Io, format!("{name}: replay stopped early"))))?;
    // What follows the last verified record (a torn write) is measured against the file's real end.
    let file_len = reader.file.metadata().map_err(io)?.len();
    Ok(ReplayReport {
        records: end.records,
        valid_end: end.valid_end,
        torn_bytes: file_len.saturating_sub(end.valid_end),
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

/// Whether logs may be read through maps: `VGENT_NO_MAP` turns them off (the copying path), to
/// compare the two or where maps misbehave.
pub fn maps_allowed() -> bool {
    std::env::var_os("VGENT_NO_MAP").is_none()
}

/// A read-only map of the whole log, when it can be had.
fn map_whole(file: &File) -> Option<memmap2::Mmap> {
    if !maps_allowed() {
        return None;
    }
    // SAFETY: the map is only read, and only while `replay` runs. Another process changing the file
    // meanwhile could change what is read, as with `read`; only truncation would fault, and the one
    // writer of a log (holding its lock) truncates only a torn tail, after its own replay. A reader
    // beside that writer sees at most the records it maps; see `FileMap::new` for the same argument.
    let map = unsafe { memmap2::Mmap::map(file).ok()? };
    (map.len() >= HEADER_LEN).then_some(map)
}

/// `replay` over a map of the file: records are checked and applied straight from the page cache,
/// with no copy. A verifier thread checks checksums ahead and says how far the log verifies; this
/// thread applies up to there, so checksumming overlaps with applying.
fn replay_mapped(
    bytes: &[u8],
    name: &str,
    mut visit: impl FnMut(&[OpRef]) -> Result<()>,
) -> Result<ReplayReport> {
    let mut base = HEADER_LEN as u64;
    let end = std::thread::scope(|scope| -> Result<End> {
        let (tx, rx) = std::sync::mpsc::channel::<usize>();
        let spawned = std::thread::Builder::new()
            .name("vgent-verify".into())
            .spawn_scoped(scope, move || {
                // A failed send: the applier has stopped (it failed), so stop verifying.
                verify(bytes, name, |upto| tx.send(upto).is_ok())
            });
        match spawned {
            Ok(handle) => {
                for upto in rx.iter() {
                    apply(&bytes[base as usize..upto], name, &mut base, &mut visit)?;
                }
                match handle.join() {
                    Ok(end) => end,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Err(_) => {
                // No thread to be had: verify everything, then apply it.
                let end = verify(bytes, name, |_| true)?;
                apply(
                    &bytes[HEADER_LEN..end.valid_end as usize],
                    name,
                    &mut base,
                    &mut visit,
                )?;
                Ok(end)
            }
        }
    })?;
    Ok(ReplayReport {
        records: end.records,
        valid_end: end.valid_end,
        torn_bytes: bytes.len() as u64 - end.valid_end,
    })
}

/// Checks the records of a whole log in memory, calling `progress(offset)` as runs of them verify
/// (every `CHUNK` bytes and at the end; it returns false to stop early); the rules are
/// `RecordReader`'s.
fn verify(bytes: &[u8], name: &str, mut progress: impl FnMut(usize) -> bool) -> Result<End> {
    let mut at = HEADER_LEN;
    let mut reported = at;
    let mut records = 0;
    while at < bytes.len() {
        match read_frame(&bytes[at..]) {
            Frame::Ok { total, .. } => {
                at += total;
                records += 1;
                if at - reported >= CHUNK {
                    if !progress(at) {
                        break;
                    }
                    reported = at;
                }
            }
            Frame::Truncated => break,
            Frame::Bad if torn_at(bytes, at) => break,
            Frame::Bad => {
                return Err(err(
                    ErrorCode::StoreCorrupt,
                    format!("{name}: record at offset {at} fails its checksum (damaged, not a torn write); run repairStore to salvage the intact records"),
                ))
            }
        }
    }
    if at > reported {
        progress(at);
    }
    Ok(End {
        records,
        valid_end: at as u64,
    })
}

/// Whether the bad frame at file offset `at`, claiming `len` bytes, is what a crash mid-append
/// leaves rather than damage to data that was written whole: its claimed length runs past the end
/// of the file (or is absurd); or it is the last frame and everything from a page boundary inside
/// it to the end is zero (a crash can persist some pages of an append and not others, and unwritten
/// pages read back as zeros); or every byte from it to the end is zero. A complete last record
/// with a flipped bit is none of these: it is corruption. `zero_from(offset)` says whether every
/// byte from `offset` to the end of the file is zero.
fn torn_tail(
    len: u64,
    at: u64,
    file_len: u64,
    mut zero_from: impl FnMut(u64) -> std::io::Result<bool>,
) -> std::io::Result<bool> {
    let end = at + FRAME_LEN as u64 + len;
    if len > MAX_RECORD as u64 || end > file_len {
        return Ok(true);
    }
    if end == file_len {
        let page = (at / PAGE + 1) * PAGE;
        if page < end && zero_from(page)? {
            return Ok(true);
        }
    }
    zero_from(at)
}

/// `torn_tail` for a whole file in memory.
fn torn_at(bytes: &[u8], at: usize) -> bool {
    let len = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as u64;
    let zero_from = |from: u64| Ok(bytes[from as usize..].iter().all(|b| *b == 0));
    torn_tail(len, at as u64, bytes.len() as u64, zero_from).unwrap_or(false)
}
