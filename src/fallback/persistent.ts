/**
 * The log-backed entries of the TypeScript core: the D-gent tier's vector and datum stores on the
 * same on-disk log as the native core (src/fallback/log/), over the in-memory fallback stores.
 * A store written by either core opens in the other; writers of both cores exclude each other.
 *
 * Unlike the native tasks, which replay on the libuv pool, the async entries here run on the JS
 * thread (a microtask later): opening a big store blocks the event loop while it replays.
 */
import type { PersistentFallback } from './binding'
import { FallbackCollection } from './collection'
import { FallbackDgent } from './datum'
import { PersistentCollection } from './log/persistent-collection'
import { PersistentDgent } from './log/persistent-dgent'
import { repair } from './log/repair'

const collection = (dimension: number, metric: string) => new FallbackCollection(dimension, metric)
const dgent = () => new FallbackDgent()

export function persistentFallback(): PersistentFallback {
  return {
    openPersistent: (dir, dimension, metric, fsync) => PersistentCollection.open(dir, dimension, metric, fsync, collection),
    openPersistentAsync: async (dir, dimension, metric, fsync, readOnly) =>
      readOnly
        ? PersistentCollection.openReadOnly(dir, dimension, metric, collection)
        : PersistentCollection.open(dir, dimension, metric, fsync, collection),
    openDgentAsync: async (dir, fsync, readOnly) => (readOnly ? PersistentDgent.openReadOnly(dir, dgent) : PersistentDgent.open(dir, fsync, dgent)),
    repairStoreAsync: async (dir) => repair(dir),
  }
}
