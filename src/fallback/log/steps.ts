/**
 * One implementation for the sync and the async opens: the long work (replay, salvage) is a
 * generator that yields between chunks. `runSync` drives it straight through; `runAsync` lets the
 * event loop turn at every yield, which is how the async entries keep it turning while a big log
 * replays (the native core does this work on the libuv pool instead).
 */
export type Steps<T> = Generator<void, T, void>

/** Runs `steps` to the end on this call's stack. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/**
 * Runs `steps` to the end, yielding to the event loop at each of its yields. The first chunk runs
 * synchronously, in this call (so a lock it takes is taken before this returns).
 */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}
