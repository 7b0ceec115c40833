/**
 * PLACEHOLDER until the log-backed TypeScript store (src/fallback/log/) lands: the persisted tiers
 * need the native core in this build. The branch that adds them replaces this whole file with one
 * exporting the same `persistentFallback()`.
 */
import { ErrorCode } from '../errors'
import type { PersistentFallback } from './binding'
import { coreError } from './error'

const unavailable = () => coreError(ErrorCode.BACKEND_UNAVAILABLE, 'the persisted D-gent store needs the native core in this build')

export function persistentFallback(): PersistentFallback {
  return {
    openPersistent: () => {
      throw unavailable()
    },
    openPersistentAsync: async () => {
      throw unavailable()
    },
    openDgentAsync: async () => {
      throw unavailable()
    },
    repairStoreAsync: async () => {
      throw unavailable()
    },
  }
}
