/** A quick health check for the router: is the server answering, which version, how fast. */
import type { QdrantClient } from '@qdrant/js-client-rest'
import { performance } from 'node:perf_hooks'
import type { QdrantProbe } from './options'

/** Never throws: a missing client library, a refused connection or a timeout all give `ok: false`. */
export async function probeQdrant(client: () => QdrantClient, url: string, timeoutMs: number): Promise<QdrantProbe> {
  const start = performance.now()
  const elapsed = () => performance.now() - start
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    const info = await Promise.race([client().versionInfo(), timeout])
    if (typeof info?.version !== 'string') return { ok: false, url, latencyMs: elapsed(), error: 'the server did not report a version' }
    return { ok: true, url, latencyMs: elapsed(), version: info.version }
  } catch (e) {
    return { ok: false, url, latencyMs: elapsed(), error: e instanceof Error ? e.message : String(e) }
  } finally {
    clearTimeout(timer)
  }
}
