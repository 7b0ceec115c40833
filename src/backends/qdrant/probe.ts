/** A quick health check for the router: is the server answering, which version, how fast. */
import type { QdrantClient } from '@qdrant/js-client-rest'
import { performance } from 'node:perf_hooks'
import type { QdrantProbe } from './options'

/**
 * The server's root endpoint answer ({ title, version }). @qdrant/js-client-rest 1.10.x reads it from
 * a `result` field that the server does not send, so its versionInfo() always fails with "Version
 * Info returned empty"; with that client the same endpoint is asked through the client's API object.
 */
async function rootInfo(client: QdrantClient): Promise<{ version?: unknown }> {
  try {
    return await client.versionInfo()
  } catch (e) {
    if (!(e instanceof Error) || !/Version Info returned empty/.test(e.message)) throw e
    type LegacyApi = (name: string) => { root?: (query: object) => Promise<{ data?: { version?: unknown } }> } | undefined
    const api = (client as unknown as { api?: LegacyApi }).api
    const root = typeof api === 'function' ? api.call(client, 'service')?.root : undefined
    if (typeof root !== 'function') throw e
    return (await root({})).data ?? {}
  }
}

/** Never throws: a missing client library, a refused connection or a timeout all give `ok: false`. */
export async function probeQdrant(client: () => QdrantClient, url: string, timeoutMs: number): Promise<QdrantProbe> {
  const start = performance.now()
  const elapsed = () => performance.now() - start
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    const info = await Promise.race([rootInfo(client()), timeout])
    if (typeof info?.version !== 'string') return { ok: false, url, latencyMs: elapsed(), error: 'the server did not report a version' }
    return { ok: true, url, latencyMs: elapsed(), version: info.version }
  } catch (e) {
    return { ok: false, url, latencyMs: elapsed(), error: e instanceof Error ? e.message : String(e) }
  } finally {
    clearTimeout(timer)
  }
}
