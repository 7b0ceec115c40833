/**
 * Loading the optional `@qdrant/js-client-rest` peer dependency lazily, and turning what it throws
 * into `VgentError`s: anything that means "the server cannot be used" is BACKEND_UNAVAILABLE.
 */
import type { QdrantClient, QdrantClientParams } from '@qdrant/js-client-rest'
import { ErrorCode, VgentError } from '../../errors'

type ClientModule = { QdrantClient: new (params: QdrantClientParams) => QdrantClient }

let loaded: ClientModule | undefined

/** The client class; a clear error when the optional dependency is missing or too old. */
export function qdrantClientModule(): ClientModule {
  if (loaded) return loaded
  let mod: ClientModule
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('@qdrant/js-client-rest') as ClientModule
  } catch (e) {
    throw new VgentError(
      ErrorCode.BACKEND_UNAVAILABLE,
      'the Qdrant tier needs the optional peer dependency @qdrant/js-client-rest: npm install @qdrant/js-client-rest',
      { cause: e },
    )
  }
  if (typeof mod.QdrantClient?.prototype?.query !== 'function') {
    throw new VgentError(
      ErrorCode.BACKEND_UNAVAILABLE,
      'the installed @qdrant/js-client-rest has no query API: vgent needs version 1.10 or newer',
    )
  }
  loaded = mod
  return mod
}

export function createClient(url: string, apiKey: string | undefined, timeoutMs: number): QdrantClient {
  const { QdrantClient } = qdrantClientModule()
  try {
    // checkCompatibility would send a request (and print a warning) from the constructor; probe() does this job.
    return new QdrantClient({ url, apiKey, timeout: timeoutMs, checkCompatibility: false })
  } catch (e) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `Qdrant client options rejected: ${messageOf(e)}`, { cause: e })
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Status and server message of an HTTP error from the client, if it is one. */
function httpError(e: unknown): { status: number; message: string } | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const err = e as { status?: unknown; data?: unknown; message?: unknown; name?: unknown }
  if (typeof err.status === 'number') {
    const data = err.data as { status?: { error?: unknown } } | undefined
    const detail = typeof data?.status?.error === 'string' ? data.status.error : String(err.message ?? '')
    return { status: err.status, message: detail }
  }
  // QdrantClientUnexpectedResponseError carries the status only in its message.
  if (err.name === 'QdrantClientUnexpectedResponseError' && typeof err.message === 'string') {
    const m = /Unexpected Response: (\d{3})/.exec(err.message)
    if (m) return { status: Number(m[1]), message: err.message }
  }
  return undefined
}

/** A VgentError for a failed request; `what` says what vgent was doing. */
export function fromQdrant(e: unknown, what: string, url: string): VgentError {
  if (e instanceof VgentError) return e
  const http = httpError(e)
  if (http === undefined) {
    // No HTTP answer at all: refused, reset, DNS, TLS or timed out.
    const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
    const detail = typeof cause?.code === 'string' ? `${messageOf(e)} (${cause.code})` : messageOf(e)
    return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `Qdrant at ${url} is unreachable while ${what}: ${detail}`, { cause: e })
  }
  const { status, message } = http
  if (status === 401 || status === 403) {
    return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `Qdrant at ${url} refused the credentials while ${what} (HTTP ${status}): check the API key`, { cause: e })
  }
  if (status === 429 || status >= 500) {
    return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `Qdrant at ${url} failed while ${what} (HTTP ${status}): ${message}`, { cause: e })
  }
  return new VgentError(ErrorCode.INTERNAL, `Qdrant at ${url} rejected a request while ${what} (HTTP ${status}): ${message}`, { cause: e })
}
