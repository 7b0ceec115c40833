/**
 * Appending to a log, as `crates/vgent-core/src/log/writer.rs` does: one writer per store (the LOCK
 * file's flock), one record per call written with a positioned `writeSync`, cut back on failure, and
 * group commit: a sync that arrives while an fsync runs waits for it, then one fsync covers everyone.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { HEADER_LEN, encodeRecords, header, storeError } from './format'
import type { Op, OpRef, StoreKind } from './format'
import { LOCK_FILE, tryLock } from './lock'
import type { StoreLock } from './lock'
import { ioError, replaySteps } from './recover'
import type { ReplayReport } from './recover'
import type { Steps } from './steps'

export const LOG_FILE = 'data.log'
export const COMPACT_FILE = 'data.log.compact'
export const CORRUPT_FILE = 'data.log.corrupt'

/** Writes a fresh log (header, then `records`) and fsyncs it. */
export function writeNewLog(file: string, kind: StoreKind, records: Uint8Array): void {
  let fd: number
  try {
    fd = fs.openSync(file, 'w')
  } catch (e) {
    throw ioError('cannot create', file, e)
  }
  try {
    writeAll(fd, header(kind), 0, file)
    writeAll(fd, records, HEADER_LEN, file)
    fs.fsyncSync(fd)
  } catch (e) {
    throw e instanceof Error && /^[A-Z_]+: /.test(e.message) ? e : ioError('cannot sync', file, e)
  } finally {
    fs.closeSync(fd)
  }
}

function writeAll(fd: number, b: Uint8Array, position: number, file: string): void {
  let done = 0
  try {
    while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, position + done)
  } catch (e) {
    throw ioError('cannot write', file, e)
  }
}

/** Directory fsync makes a create or rename durable; not supported on every platform (Windows). */
export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // as in Rust: best effort
  }
}

export class LogWriter {
  private fd: number
  private len: number
  /** Sequence number of the last appended record. */
  private appendedSeq = 0
  /** Sequence number known to be on disk. */
  private synced = 0
  private inflight: Promise<void> | undefined
  private closed = false

  private constructor(
    readonly dir: string,
    readonly file: string,
    private readonly fsync: boolean,
    private readonly lock: StoreLock,
    fd: number,
    len: number,
  ) {
    this.fd = fd
    this.len = len
  }

  /**
   * Opens (or creates) the log in `dir` for writing, replaying it through `visit` first. The lock is
   * taken in the first step, before any replay.
   */
  static *openSteps(dir: string, kind: StoreKind, fsync: boolean, visit: (ops: OpRef[]) => void): Steps<{ writer: LogWriter; report: ReplayReport }> {
    try {
      fs.mkdirSync(dir, { recursive: true })
    } catch (e) {
      throw ioError('cannot create', dir, e)
    }
    const lock = tryLock(path.join(dir, LOCK_FILE))
    if (!lock) {
      throw storeError('STORE_LOCKED', `${dir} is open for writing by another process; open it read-only or close the other writer`)
    }
    try {
      // A compaction that did not reach its rename left a partial copy: the original is intact.
      fs.rmSync(path.join(dir, COMPACT_FILE), { force: true })
      const file = path.join(dir, LOG_FILE)
      if (!fs.existsSync(file)) {
        writeNewLog(file, kind, new Uint8Array(0))
        syncDir(dir)
      }
      const report = yield* replaySteps(file, kind, visit)
      let fd: number
      try {
        fd = fs.openSync(file, 'r+')
      } catch (e) {
        throw ioError('cannot open', file, e)
      }
      if (report.tornBytes > 0) {
        try {
          fs.ftruncateSync(fd, report.validEnd)
          fs.fsyncSync(fd)
        } catch (e) {
          fs.closeSync(fd)
          throw ioError('cannot truncate the torn tail of', file, e)
        }
      }
      return { writer: new LogWriter(dir, file, fsync, lock, fd, report.validEnd), report }
    } catch (e) {
      lock.release()
      throw e
    }
  }

  /**
   * Appends one atomic record and returns its sequence number. On failure (a full disk, say) the file
   * is cut back to where it was, so a failed write leaves nothing behind.
   */
  append(ops: readonly Op[]): number {
    if (this.closed) throw storeError('CLOSED', 'the store is closed')
    const buf = encodeRecords(ops)
    let done = 0
    try {
      while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, this.len + done)
    } catch (e) {
      try {
        fs.ftruncateSync(this.fd, this.len)
      } catch {
        // the original error is the one to report
      }
      throw ioError('cannot append to', this.file, e)
    }
    this.len += buf.length
    return ++this.appendedSeq
  }

  appended(): number {
    return this.appendedSeq
  }

  /** Makes every appended record durable now, on this thread (a new store's first record, say). */
  syncNow(): void {
    if (!this.fsync || this.synced >= this.appendedSeq) return
    try {
      fs.fdatasyncSync(this.fd)
    } catch (e) {
      throw ioError('cannot sync', this.file, e)
    }
    this.synced = this.appendedSeq
  }

  /** Resolves once record `seq` is durable under this writer's policy; concurrent calls share an fsync. */
  async sync(seq: number = this.appendedSeq): Promise<void> {
    if (!this.fsync) return
    while (this.synced < seq && !this.closed) {
      if (this.inflight) {
        await this.inflight.catch(() => undefined)
        continue
      }
      const upto = this.appendedSeq
      const fd = this.fd
      this.inflight = new Promise<void>((resolve, reject) => {
        fs.fdatasync(fd, (e) => {
          this.inflight = undefined
          if (e) return reject(ioError('cannot sync', this.file, e))
          this.synced = Math.max(this.synced, upto)
          resolve()
        })
      })
      await this.inflight
    }
  }

  /** Rewrites the log as `live` ops (one record per 1,024) and swaps it in atomically. */
  compact(kind: StoreKind, live: readonly Op[]): void {
    if (this.closed) throw storeError('CLOSED', 'the store is closed')
    const tmp = path.join(this.dir, COMPACT_FILE)
    const records = encodeRecords(live, 1024)
    writeNewLog(tmp, kind, records)
    try {
      fs.renameSync(tmp, this.file)
    } catch (e) {
      throw ioError('cannot replace', this.file, e)
    }
    syncDir(this.dir)
    let fd: number
    try {
      fd = fs.openSync(this.file, 'r+')
    } catch (e) {
      throw ioError('cannot open', this.file, e)
    }
    this.retire(this.fd)
    this.fd = fd
    this.len = HEADER_LEN + records.length
    // The new file was fsynced whole: everything appended so far is durable.
    this.synced = this.appendedSeq
  }

  /** Makes every appended record durable (under the fsync policy), then closes the file and drops the lock. */
  close(): void {
    if (this.closed) return
    try {
      if (this.fsync && this.synced < this.appendedSeq) fs.fdatasyncSync(this.fd)
    } catch (e) {
      throw ioError('cannot sync', this.file, e)
    } finally {
      this.closed = true
      this.retire(this.fd)
      this.lock.release()
    }
    this.synced = this.appendedSeq
  }

  /** Closes `fd` once no fsync is running on it (a closed descriptor number may be reused). */
  private retire(fd: number): void {
    const close = () => fs.close(fd, () => undefined)
    if (this.inflight) this.inflight.then(close, close)
    else fs.closeSync(fd)
  }
}
