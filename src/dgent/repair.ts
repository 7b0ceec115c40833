/** `repairStore`: salvage the intact records of a damaged D-gent store (vector or datum). */
import * as path from 'node:path'
import { ErrorCode, VgentError, fromNative } from '../errors'
import { native } from '../native'

export interface RepairReport {
  /** The store's directory. */
  path: string
  keptRecords: number
  /** Damaged stretches skipped; each may have held one or more records. */
  droppedRegions: number
  droppedBytes: number
  /** Where the damaged original was kept. */
  backup: string
}

/**
 * Copies every record that verifies into a fresh `data.log` and keeps the damaged file beside it as
 * `data.log.corrupt`. Refuses (`STORE_LOCKED`) while a writer has the store open.
 */
export async function repairStore(storePath: string): Promise<RepairReport> {
  if (typeof storePath !== 'string' || storePath === '') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'repairStore needs the store directory')
  }
  const dir = path.resolve(storePath)
  try {
    const r = await native().repairStoreAsync(dir)
    return { path: dir, ...r, backup: path.join(dir, 'data.log.corrupt') }
  } catch (e) {
    throw fromNative(e)
  }
}
