/** A quick health check for the router: is the server answering, which version, does it take our key, how fast. */
import type { QdrantClient } from '@qdrant/js-client-rest'
import { performance } from 'node:perf_hooks'
import { fromQdrant } from './client'
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

/**
 * Qdrant answers its root endpoint without an API key, so a version alone does not show that the
 * server takes ours: one authenticated read (the collection list) does. A client without that call
 * (a stand-in for QdrantClient) is not asked.
 */
async function checkCredentials(client: QdrantClient, url: string): Promise<void> {
  const list = (client as unknown as { getCollections?: () => Promise<unknown> }).getCollections
  if (typeof list !== 'function') return
  try {
    await list.call(client)
  } catch (e) {
    throw fromQdrant(e, 'listing collections', url)
  }
}

/** Never throws: a missing client library, a refused connection or key, or a timeout all give `ok: false`. */
export async function probeQdrant(client: () => QdrantClient, url: string, timeoutMs: number): Promise<QdrantProbe> {
  const start = performance.now()
  const elapsed = () => performance.now() - start
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    })
    const c = client()
    const info = await Promise.race([rootInfo(c), timeout])
    if (typeof info?.version !== 'string') return { ok: false, url, latencyMs: elapsed(), error: 'the server did not report a version' }
    await Promise.race([checkCredentials(c, url), timeout])
    return { ok: true, url, latencyMs: elapsed(), version: info.version }
  } catch (e) {
    return { ok: false, url, latencyMs: elapsed(), error: e instanceof Error ? e.message : String(e) }
  } finally {
    clearTimeout(timer)
  }
}
