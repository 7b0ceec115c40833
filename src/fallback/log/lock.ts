/**
 * The store's writer lock, compatible with the native core. Rust holds `flock(LOCK_EX | LOCK_NB)` on
 * `<dir>/LOCK` for the writer's lifetime (`File::try_lock`); the kernel drops it when the process
 * dies, so a stale lock never blocks. Node has no `flock`, but a flock belongs to the *open file
 * description*, not to the process: we open `LOCK` ourselves, hand that descriptor to a short-lived
 * helper (`flock(1)`, else `perl`, else `python3`) that locks it and exits, and the lock stays with
 * our descriptor until we close it or die. A native writer and a fallback writer therefore exclude
 * each other exactly as two native writers do (also two fallback writers in one process: each open
 * is its own description).
 *
 * Limitation: with none of the helpers on PATH (Windows, minimal images) the lock cannot be taken.
 * The writer then opens unlocked and says so once (a `process` warning): a second writer on the same
 * directory is not excluded there. Read-only opens never lock, as in Rust.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { storeError } from './format'
import { ioError } from './recover'

export const LOCK_FILE = 'LOCK'

/** Each helper locks descriptor 3 (our LOCK file) and exits 0, or exits 1 when another holder has it. */
const HELPERS: ReadonlyArray<readonly [string, string[]]> = [
  ['flock', ['--exclusive', '--nonblock', '3']],
  ['perl', ['-MFcntl=:flock', '-e', 'open(my $f, "+<&=", 3) or exit 2; flock($f, LOCK_EX | LOCK_NB) or exit 1; exit 0']],
  ['python3', ['-c', 'import fcntl, sys\ntry:\n  fcntl.flock(3, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n  sys.exit(1)']],
]

/** The helper that worked last, tried first; `null` once none was found. */
let helper: (typeof HELPERS)[number] | null | undefined
let warned = false

type Attempt = 'locked' | 'busy' | 'unavailable'

function tryHelper(h: (typeof HELPERS)[number], fd: number): Attempt {
  const r = spawnSync(h[0], h[1], { stdio: ['ignore', 'ignore', 'ignore', fd], timeout: 10_000 })
  if (r.error) return 'unavailable'
  if (r.status === 0) return 'locked'
  if (r.status === 1) return 'busy'
  return 'unavailable'
}

/** `flock(LOCK_EX | LOCK_NB)` on `fd`: whether we now hold it; `null` when no helper can take it. */
function flockNonBlocking(fd: number): boolean | null {
  if (helper === null) return null
  const order = helper ? [helper, ...HELPERS.filter((h) => h !== helper)] : HELPERS
  for (const h of order) {
    const a = tryHelper(h, fd)
    if (a === 'unavailable') continue
    helper = h
    return a === 'locked'
  }
  helper = null
  return null
}

/** A held writer lock; `release` closes the descriptor, which drops the flock. */
export interface StoreLock {
  release(): void
}

/**
 * Takes the writer lock of the store at `dir`, or returns `null` when another writer (native or
 * fallback, in any process) holds it.
 */
export function tryLock(lockPath: string): StoreLock | null {
  let fd: number
  try {
    fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o666)
  } catch (e) {
    throw ioError('cannot open', lockPath, e)
  }
  let held: boolean | null
  try {
    held = flockNonBlocking(fd)
  } catch (e) {
    fs.closeSync(fd)
    throw storeError('IO_ERROR', `cannot lock ${lockPath}: ${(e as Error).message}`)
  }
  if (held === false) {
    fs.closeSync(fd)
    return null
  }
  if (held === null && !warned) {
    warned = true
    process.emitWarning(
      `vgent's TypeScript core cannot take the store lock here (no flock, perl or python3 on PATH): ` +
        `a second writer on the same store is not excluded`,
      { code: 'VGENT_NO_LOCK' },
    )
  }
  let open = true
  return {
    release() {
      if (!open) return
      open = false
      fs.closeSync(fd)
    },
  }
}
