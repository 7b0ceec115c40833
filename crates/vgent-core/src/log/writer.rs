//! Appending to a log: one writer per store (an OS file lock), atomic records, and group commit
//! (concurrent writers share one fsync).
use super::format::{encode_record, header, Op, StoreKind, HEADER_LEN};
use super::recover::{replay, salvage, RepairReport, ReplayReport};
use crate::error::{err, ErrorCode, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const LOG_FILE: &str = "data.log";
pub const LOCK_FILE: &str = "LOCK";
const COMPACT_FILE: &str = "data.log.compact";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// A write is acknowledged after fsync (grouped under load).
    Fsync,
    /// A write is acknowledged once it is in the OS page cache: survives a process crash, not power loss.
    None,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> crate::error::VgentError {
    if e.raw_os_error() == Some(28) {
        return err(
            ErrorCode::Io,
            format!(
                "{what} {}: the disk is full (nothing was written)",
                path.display()
            ),
        );
    }
    err(ErrorCode::Io, format!("{what} {}: {e}", path.display()))
}

struct Tail {
    file: File,
    len: u64,
    /// Sequence number of the last appended record.
    appended: u64,
}

pub struct LogWriter {
    dir: PathBuf,
    path: PathBuf,
    durability: Durability,
    tail: Mutex<Tail>,
    /// Sequence number known to be on disk; the mutex is held during fsync so writers queue behind it.
    synced: Mutex<u64>,
    /// Held for the writer's lifetime; the OS releases it if the process dies, so a stale lock never blocks.
    _lock: File,
}

/// Opens (or creates) the log in `dir` for writing, replaying it through `visit` first.
pub fn open_writer(
    dir: &Path,
    kind: StoreKind,
    durability: Durability,
    visit: impl FnMut(&[super::format::OpRef]) -> Result<()>,
) -> Result<(LogWriter, ReplayReport)> {
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = open_lock_file(&lock_path)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(err(
                ErrorCode::StoreLocked,
                format!("{} is open for writing by another process; open it read-only or close the other writer", dir.display()),
            ))
        }
        Err(TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path, e)),
    }
    // A compaction that did not reach its rename left a partial copy: the original is intact.
    let _ = std::fs::remove_file(dir.join(COMPACT_FILE));
    let path = dir.join(LOG_FILE);
    if !path.exists() {
        write_new_log(&path, kind, &[])?;
        sync_dir(dir)?;
    }
    let report = replay(&path, kind, visit)?;
    let file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| io("cannot open", &path, e))?;
    if report.torn_bytes > 0 {
        file.set_len(report.valid_end)
            .map_err(|e| io("cannot truncate the torn tail of", &path, e))?;
        file.sync_all().map_err(|e| io("cannot sync", &path, e))?;
    }
    let mut tail = Tail {
        file,
        len: report.valid_end,
        appended: 0,
    };
    tail.file
        .seek(SeekFrom::Start(tail.len))
        .map_err(|e| io("cannot seek", &path, e))?;
    let writer = LogWriter {
        dir: dir.to_path_buf(),
        path,
        durability,
        tail: Mutex::new(tail),
        synced: Mutex::new(0),
        _lock: lock,
    };
    Ok((writer, report))
}

/// Replays a log without taking the lock or changing the file: safe beside a live writer.
pub fn read_only(
    dir: &Path,
    kind: StoreKind,
    visit: impl FnMut(&[super::format::OpRef]) -> Result<()>,
) -> Result<ReplayReport> {
    replay(&dir.join(LOG_FILE), kind, visit)
}

fn open_lock_file(lock_path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .map_err(|e| io("cannot open", lock_path, e))
}

fn write_new_log(path: &Path, kind: StoreKind, records: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| io("cannot create", path, e))?;
    f.write_all(&header(kind))
        .map_err(|e| io("cannot write", path, e))?;
    f.write_all(records)
        .map_err(|e| io("cannot write", path, e))?;
    f.sync_all().map_err(|e| io("cannot sync", path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    // Directory fsync makes a create or rename durable; not supported on every platform (Windows).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl LogWriter {
    /// Appends one atomic record and returns its sequence number. On failure (a full disk, say) the
    /// file is cut back to where it was, so a failed write leaves nothing behind.
    pub fn append(&self, ops: &[Op]) -> Result<u64> {
        let mut buf = Vec::new();
        let mut t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        // Encoded under the lock: a rows op pads by the offset the record lands at.
        encode_record(ops, &mut buf, t.len);
        if let Err(e) = t.file.write_all(&buf) {
            let len = t.len;
            let _ = t.file.set_len(len);
            let _ = t.file.seek(SeekFrom::Start(len));
            return Err(io("cannot append to", &self.path, e));
        }
        t.len += buf.len() as u64;
        t.appended += 1;
        Ok(t.appended)
    }

    /// Sequence number of the last appended record.
    pub fn appended(&self) -> u64 {
        self.tail.lock().unwrap_or_else(|p| p.into_inner()).appended
    }

    /// Returns once record `seq` is durable under this writer's policy. Writers that arrive while an
    /// fsync runs wait for it, then one of them syncs for all: group commit.
    pub fn sync(&self, seq: u64) -> Result<()> {
        if self.durability == Durability::None {
            return Ok(());
        }
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        if *synced >= seq {
            return Ok(());
        }
        let (file, upto) = {
            let t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
            (
                t.file
                    .try_clone()
                    .map_err(|e| io("cannot sync", &self.path, e))?,
                t.appended,
            )
        };
        file.sync_data()
            .map_err(|e| io("cannot sync", &self.path, e))?;
        *synced = upto;
        Ok(())
    }

    /// Rewrites the log as `live` ops (one record per 1024 ops, or per rows op) and swaps it in
    /// atomically. Returns where each rows op's rows landed in the new file, in order.
    pub fn compact(&self, kind: StoreKind, live: impl Iterator<Item = Op>) -> Result<Vec<u64>> {
        let mut t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let tmp = self.dir.join(COMPACT_FILE);
        let mut records = Vec::new();
        let mut rows_at = Vec::new();
        let mut chunk = Vec::new();
        for op in live {
            let big = matches!(op, Op::Rows { .. });
            chunk.push(op);
            if chunk.len() == 1024 || big {
                let at = (HEADER_LEN + records.len()) as u64;
                rows_at.extend(encode_record(&chunk, &mut records, at));
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            let at = (HEADER_LEN + records.len()) as u64;
            rows_at.extend(encode_record(&chunk, &mut records, at));
        }
        write_new_log(&tmp, kind, &records)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("cannot replace", &self.path, e))?;
        sync_dir(&self.dir)?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(|e| io("cannot open", &self.path, e))?;
        let len = (HEADER_LEN + records.len()) as u64;
        file.seek(SeekFrom::Start(len))
            .map_err(|e| io("cannot seek", &self.path, e))?;
        t.file = file;
        t.len = len;
        Ok(rows_at)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Salvages every verifiable record of the log in `dir` into a fresh log, keeping the damaged file
/// beside it as `data.log.corrupt`. Refuses to run while a writer holds the store.
pub fn repair(dir: &Path) -> Result<RepairReport> {
    let lock_path = dir.join(LOCK_FILE);
    let lock = open_lock_file(&lock_path)?;
    if let Err(TryLockError::WouldBlock) = lock.try_lock() {
        return Err(err(
            ErrorCode::StoreLocked,
            format!(
                "{} is open for writing; close it before repairing",
                dir.display()
            ),
        ));
    }
    let path = dir.join(LOG_FILE);
    let bytes = std::fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
    let kind = super::format::parse_header(&bytes, &path.display().to_string())?;
    let (frames, report) = salvage(&bytes);
    let fresh = dir.join(COMPACT_FILE);
    write_new_log(&fresh, kind, &frames.concat())?;
    let backup = dir.join("data.log.corrupt");
    std::fs::rename(&path, &backup).map_err(|e| io("cannot move aside", &path, e))?;
    std::fs::rename(&fresh, &path).map_err(|e| io("cannot replace", &path, e))?;
    sync_dir(dir)?;
    Ok(report)
}
