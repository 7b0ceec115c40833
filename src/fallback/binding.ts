/**
 * The pure TypeScript core: a `NativeBinding` with the native core's semantics, used when the native
 * addon does not load (or `VGENT_NATIVE=0`). Exact search with float64 sums, no SIMD.
 */
import type { NativeBinding, NativeCollection } from '../native'
import { FallbackCollection } from './collection'
import { FallbackDgent } from './datum'
import { persistentFallback } from './persistent'

/** The log-backed entries of the binding, supplied by `persistentFallback()`. */
export interface PersistentFallback {
  openPersistent(dir: string, dimension: number, metric: string, fsync: boolean): NativeCollection
  openPersistentAsync: NativeBinding['openPersistentAsync']
  openDgentAsync: NativeBinding['openDgentAsync']
  repairStoreAsync: NativeBinding['repairStoreAsync']
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version
}

/** The TypeScript core; `reason` says why it runs instead of the native one (reported by `nativeInfo`). */
export function fallbackBinding(reason: string): NativeBinding {
  const persistent = persistentFallback()
  const version = packageVersion()
  class Collection extends FallbackCollection {
    static openPersistent(dir: string, dimension: number, metric: string, fsync: boolean): NativeCollection {
      return persistent.openPersistent(dir, dimension, metric, fsync)
    }
  }
  return {
    NativeCollection: Collection,
    NativeDgent: FallbackDgent,
    openPersistentAsync: (...args) => persistent.openPersistentAsync(...args),
    openDgentAsync: (...args) => persistent.openDgentAsync(...args),
    repairStoreAsync: (...args) => persistent.repairStoreAsync(...args),
    nativeInfo: () => ({ isa: 'scalar', available: [], version, native: false, reason }),
  }
}
