// The vgent conformance suite: the behaviour every VgentProtocol tier must share.
//
//   import test from 'ava'
//   import { runConformanceSuite } from './conformance/suite.mjs'
//   runConformanceSuite(test, { name: 'memory', create: async (opts) => new MemoryVectorBackend(opts) })
//
// `create({ dimension, metric })` must resolve to a fresh, empty, isolated
// store. The suite closes every store it creates (t.teardown), then calls the
// optional `teardown(store)`. Tests never share a store, so ava may run them
// concurrently.
import { registerCrudCases } from './cases-crud.mjs'
import { registerSearchCases } from './cases-search.mjs'
import { registerFilterCases } from './cases-filter.mjs'
import { registerErrorCases } from './cases-errors.mjs'
import { registerRandomCases } from './cases-random.mjs'

export function runConformanceSuite(test, { name, create, teardown } = {}) {
  if (typeof test !== 'function') throw new TypeError('runConformanceSuite: pass ava\'s test')
  if (typeof name !== 'string' || name === '') throw new TypeError('runConformanceSuite: name is required')
  if (typeof create !== 'function') throw new TypeError('runConformanceSuite: create is required')

  const ctx = {
    name,
    /** Registers a test titled `[name] title`. */
    test(title, fn) {
      test(`[${name}] ${title}`, fn)
    },
    /** Creates a fresh store for test `t`; closes it when the test ends. */
    async open(t, { dimension, metric = 'cosine' }) {
      const store = await create({ dimension, metric })
      t.teardown(async () => {
        try {
          await store.close()
        } catch {
          // already closed by the test itself
        }
        if (teardown) await teardown(store)
      })
      return store
    },
  }

  registerCrudCases(ctx)
  registerSearchCases(ctx)
  registerFilterCases(ctx)
  registerErrorCases(ctx)
  registerRandomCases(ctx)
}
