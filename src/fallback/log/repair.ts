/**
 * `repair`, as in `crates/vgent-core/src/log/writer.rs`: under the writer lock, salvage every record
 * that verifies into a fresh log and keep the damaged file beside it as `data.log.corrupt`.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseHeader, storeError } from './format'
import { LOCK_FILE, tryLock } from './lock'
import { ioError, salvageSteps } from './recover'
import type { RepairReport } from './recover'
import { runSync } from './steps'
import type { Steps } from './steps'
import { COMPACT_FILE, CORRUPT_FILE, LOG_FILE, syncDir, writeNewLog } from './writer'

export function repair(dir: string): RepairReport {
  return runSync(repairSteps(dir))
}

/** `repair` in steps, for `runAsync` (./steps): the lock is taken in the first step. */
export function* repairSteps(dir: string): Steps<RepairReport> {
  const lock = tryLock(path.join(dir, LOCK_FILE))
  if (!lock) throw storeError('STORE_LOCKED', `${dir} is open for writing; close it before repairing`)
  try {
    const file = path.join(dir, LOG_FILE)
    let bytes: Buffer
    try {
      bytes = fs.readFileSync(file)
    } catch (e) {
      throw ioError('cannot read', file, e)
    }
    const kind = parseHeader(bytes, file)
    const { frames, report } = yield* salvageSteps(bytes)
    const fresh = path.join(dir, COMPACT_FILE)
    writeNewLog(fresh, kind, Buffer.concat(frames))
    try {
      fs.renameSync(file, path.join(dir, CORRUPT_FILE))
    } catch (e) {
      throw ioError('cannot move aside', file, e)
    }
    try {
      fs.renameSync(fresh, file)
    } catch (e) {
      throw ioError('cannot replace', file, e)
    }
    syncDir(dir)
    return report
  } finally {
    lock.release()
  }
}
