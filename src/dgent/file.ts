/**
 * `FileDgent`: a durable datum store in a directory (`data.log` plus a `LOCK` file). Every write is one
 * checksummed log record, acknowledged after fsync (grouped under load) unless `durability: 'none'`.
 */
import * as path from 'node:path'
import { ErrorCode, VgentError, fromNative } from '../errors'
import { native } from '../native'
import { NativeDgentStore } from './native-dgent'
import type { NativeDgent } from '../native'

export interface FileDgentOptions {
  /** The store's directory; created if missing. */
  path: string
  /** `fsync` (default): a write resolves after fsync. `none`: once the OS has it (survives a process crash, not power loss). */
  durability?: 'fsync' | 'none'
  /** Open a snapshot without taking the lock: works beside a live writer; writes are refused. */
  readOnly?: boolean
}

export function checkDurability(durability: unknown): 'fsync' | 'none' {
  const d = durability ?? 'fsync'
  if (d !== 'fsync' && d !== 'none') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `durability must be 'fsync' or 'none', got ${JSON.stringify(d)}`)
  }
  return d
}

export class FileDgent extends NativeDgentStore {
  private constructor(
    handle: NativeDgent,
    fsync: boolean,
    readonly path: string,
    readonly readOnly: boolean,
  ) {
    super(handle, fsync)
  }

  /** Opens (creating if needed) the store at `opts.path`, replaying its log off the event loop. */
  static async open(opts: FileDgentOptions): Promise<FileDgent> {
    if (typeof opts !== 'object' || opts === null || typeof opts.path !== 'string' || opts.path === '') {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'FileDgent.open needs options { path, durability?, readOnly? }')
    }
    const fsync = checkDurability(opts.durability) === 'fsync'
    const readOnly = opts.readOnly === true
    const dir = path.resolve(opts.path)
    let handle: NativeDgent
    try {
      handle = await native().openDgentAsync(dir, fsync, readOnly)
    } catch (e) {
      throw fromNative(e)
    }
    return new FileDgent(handle, fsync && !readOnly, dir, readOnly)
  }

  /** Rewrites the log to hold only live datums, swapped in atomically (a crash keeps the old or the new file). */
  async compact(): Promise<void> {
    this.call(() => this.native.compact())
  }
}
