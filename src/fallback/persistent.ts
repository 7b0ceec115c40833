/**
 * The log-backed entries of the TypeScript core: the D-gent tier's vector and datum stores on the
 * same on-disk log as the native core (src/fallback/log/), over the in-memory fallback stores.
 * A store written by either core opens in the other; writers of both cores exclude each other.
 *
 * The native tasks replay on the libuv pool; the async entries here replay on the JS thread in
 * steps (./log/steps), letting the event loop turn after every 256 KiB of log, while `openPersistent`
 * runs the same steps straight through. The lock is taken in the first step, within the call; what
 * still blocks is that step's lock helper (`spawnSync`, tens of ms) and repair's whole-file read.
 */
import type { PersistentFallback } from './binding'
import { FallbackCollection } from './collection'
import { FallbackDgent } from './datum'
import { PersistentCollection } from './log/persistent-collection'
import { PersistentDgent } from './log/persistent-dgent'
import { repairSteps } from './log/repair'
import { runAsync } from './log/steps'

const collection = (dimension: number, metric: string) => new FallbackCollection(dimension, metric)
const dgent = () => new FallbackDgent()

export function persistentFallback(): PersistentFallback {
  return {
    openPersistent: (dir, dimension, metric, fsync) => PersistentCollection.open(dir, dimension, metric, fsync, collection),
    openPersistentAsync: (dir, dimension, metric, fsync, readOnly) =>
      runAsync(
        readOnly
          ? PersistentCollection.openReadOnlySteps(dir, dimension, metric, collection)
          : PersistentCollection.openSteps(dir, dimension, metric, fsync, collection),
      ),
    openDgentAsync: (dir, fsync, readOnly) => runAsync(readOnly ? PersistentDgent.openReadOnlySteps(dir, dgent) : PersistentDgent.openSteps(dir, fsync, dgent)),
    repairStoreAsync: (dir) => runAsync(repairSteps(dir)),
  }
}
