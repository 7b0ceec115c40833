/**
 * OpenAIEmbedder: the OpenAI embeddings API (or any server that speaks it, via `baseURL`) through the
 * `openai` npm package, an optional peer dependency loaded on first construction.
 *
 * Source: `openai/<model>` (e.g. `openai/text-embedding-3-small`), or the `source` option.
 * Requests are chunked under the API's limits (2048 inputs, and a UTF-8 byte budget that bounds the
 * 300k tokens per request), sent one chunk at a time, and retried with exponential backoff on 429,
 * 408/409, 5xx, connection failures and timeouts (honouring `retry-after-ms` / `retry-after`).
 */
import type OpenAI from 'openai'
import { Embedding } from '../embedding'
import { ErrorCode, VgentError } from '../errors'
import type { OpenAIClientLike } from '../peer-types'
import { chunkRanges } from './chunk'
import {
  type EmbedBatchOptions,
  type Embedder,
  checkBatchOptions,
  checkOptionsObject,
  checkText,
  checkTexts,
  nonNegative,
  positiveInt,
} from './embedder'
import { requireOptionalPeer } from './optional-peer'

export interface OpenAIEmbedderOptions {
  /** Default `text-embedding-3-small`. Other names need `dimensions` (their output length). */
  model?: string
  /** v3 models: passed to the API to shorten the vectors. Other unlisted models: their output length. */
  dimensions?: number
  /** Default `$OPENAI_API_KEY`. */
  apiKey?: string
  /** An OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1`. */
  baseURL?: string
  /**
   * A client you configured yourself: an OpenAI client (or anything with `embeddings.create`). Then
   * `apiKey` and `baseURL` must be left out.
   */
  client?: OpenAIClientLike
  /** Default `openai/<model>`. */
  source?: string
  /** Retries of one request after a retryable failure; default 5. */
  maxRetries?: number
  /** First backoff delay in ms, doubled each retry (with jitter); default 500. */
  retryBaseMs?: number
  /** Cap on one backoff delay, including a server's retry-after; default 20000. */
  retryMaxMs?: number
  /** Per-request timeout in ms; default 60000. */
  timeoutMs?: number
  /** Most inputs per request; default and maximum 2048 (the API's limit). */
  maxBatchSize?: number
  /** Most UTF-8 bytes of input per request; default 300000 (the API allows 300k tokens, and a token is at least one byte). */
  maxBatchBytes?: number
}

interface ModelInfo {
  dimension: number
  /** Whether the API accepts `dimensions` for it. */
  shortenable: boolean
}

/** Known models and their native output length. */
export const OPENAI_EMBEDDING_MODELS: Readonly<Record<string, ModelInfo>> = Object.freeze({
  'text-embedding-3-small': { dimension: 1536, shortenable: true },
  'text-embedding-3-large': { dimension: 3072, shortenable: true },
  'text-embedding-ada-002': { dimension: 1536, shortenable: false },
})

const API_MAX_INPUTS = 2048

interface ApiErrorLike {
  status?: number
  headers?: { get(name: string): string | null }
  code?: string | null
  message?: string
}

/** The SDK's connection errors carry no status; tell them apart by class (their `name` is plain `Error`). */
function connectionFailure(err: ApiErrorLike): 'timeout' | 'connection' | undefined {
  const cls = (err as { constructor?: { name?: string } }).constructor?.name
  if (cls === 'APIConnectionTimeoutError') return 'timeout'
  if (cls === 'APIConnectionError') return 'connection'
  return undefined
}

export class OpenAIEmbedder implements Embedder {
  readonly dimension: number
  readonly source: string
  readonly model: string
  private readonly client: OpenAI
  /** Sent as `dimensions` (v3 models only). */
  private readonly requestDimensions: number | undefined
  private readonly maxRetries: number
  private readonly retryBaseMs: number
  private readonly retryMaxMs: number
  private readonly timeoutMs: number
  private readonly maxBatchSize: number
  private readonly maxBatchBytes: number

  constructor(opts?: OpenAIEmbedderOptions) {
    const o = checkOptionsObject(opts, 'OpenAIEmbedder') as OpenAIEmbedderOptions
    const model = o.model ?? 'text-embedding-3-small'
    if (typeof model !== 'string' || model.length === 0) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'model must be a non-empty string')
    }
    this.model = model
    const known = Object.hasOwn(OPENAI_EMBEDDING_MODELS, model) ? OPENAI_EMBEDDING_MODELS[model] : undefined
    if (known) {
      const dims = positiveInt(o.dimensions, 'dimensions', known.dimension, known.dimension)
      if (!known.shortenable && dims !== known.dimension) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${model} always returns ${known.dimension} dimensions; only the text-embedding-3 models accept dimensions`)
      }
      this.dimension = dims
      this.requestDimensions = known.shortenable && o.dimensions !== undefined ? dims : undefined
    } else {
      if (o.dimensions === undefined) {
        throw new VgentError(
          ErrorCode.INVALID_ARGUMENT,
          `unknown embedding model ${JSON.stringify(model)}: known are ${Object.keys(OPENAI_EMBEDDING_MODELS).join(', ')}; ` +
            'for another model (e.g. on an OpenAI-compatible server) pass dimensions, its output length',
        )
      }
      this.dimension = positiveInt(o.dimensions, 'dimensions', 0, 65536)
      this.requestDimensions = undefined
    }
    const source = o.source ?? `openai/${model}`
    if (typeof source !== 'string' || source.length === 0) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'source must be a non-empty string')
    }
    this.source = source
    this.maxRetries = o.maxRetries === 0 ? 0 : positiveInt(o.maxRetries, 'maxRetries', 5, 100)
    this.retryBaseMs = nonNegative(o.retryBaseMs, 'retryBaseMs', 500)
    this.retryMaxMs = nonNegative(o.retryMaxMs, 'retryMaxMs', 20_000)
    this.timeoutMs = positiveInt(o.timeoutMs, 'timeoutMs', 60_000)
    this.maxBatchSize = positiveInt(o.maxBatchSize, 'maxBatchSize', API_MAX_INPUTS, API_MAX_INPUTS)
    this.maxBatchBytes = positiveInt(o.maxBatchBytes, 'maxBatchBytes', 300_000)
    if (o.client !== undefined) {
      if (o.apiKey !== undefined || o.baseURL !== undefined) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'pass either client or apiKey/baseURL: a given client is used as configured')
      }
      if (typeof (o.client as { embeddings?: { create?: unknown } })?.embeddings?.create !== 'function') {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'client must be an OpenAI client (with embeddings.create)')
      }
    }
    // A given client is typed by its members (OpenAIClientLike) so that the public types need no
    // openai; here it is used as the OpenAI client it is (or something that answers the same call).
    this.client = (o.client as OpenAI | undefined) ?? createClient(o)
  }

  async embed(text: string): Promise<Embedding> {
    const [e] = await this.embedChecked([checkText(text)], undefined)
    return e
  }

  async embedBatch(texts: string[], opts?: EmbedBatchOptions): Promise<Embedding[]> {
    return this.embedChecked(checkTexts(texts), checkBatchOptions(opts).onProgress)
  }

  private async embedChecked(texts: string[], onProgress: EmbedBatchOptions['onProgress']): Promise<Embedding[]> {
    const empty = texts.findIndex((t) => t.length === 0)
    if (empty >= 0) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `texts[${empty}] is empty; the OpenAI embeddings API rejects empty input`)
    }
    const out: Embedding[] = []
    for (const [start, end] of chunkRanges(texts, this.maxBatchSize, this.maxBatchBytes)) {
      const vectors = await this.request(texts.slice(start, end))
      for (const v of vectors) out.push(new Embedding(v, { source: this.source }))
      onProgress?.(end, texts.length)
    }
    return out
  }

  /** One API call with retries; vectors in input order. */
  private async request(input: string[]): Promise<Float32Array[]> {
    const body: OpenAI.EmbeddingCreateParams = { model: this.model, input, encoding_format: 'base64' }
    if (this.requestDimensions !== undefined) body.dimensions = this.requestDimensions
    for (let attempt = 0; ; attempt++) {
      try {
        // Our own retry loop (configurable backoff, one policy for every client): the SDK's is off.
        const res = await this.client.embeddings.create(body, { maxRetries: 0, timeout: this.timeoutMs })
        return this.decode(res, input.length)
      } catch (e) {
        if (e instanceof VgentError) throw e
        const err = e as ApiErrorLike
        if (attempt >= this.maxRetries || !isRetryable(err)) throw this.translate(err, attempt)
        await sleep(this.backoffMs(err, attempt))
      }
    }
  }

  private decode(res: OpenAI.CreateEmbeddingResponse, count: number): Float32Array[] {
    const data = res?.data
    if (!Array.isArray(data) || data.length !== count) {
      throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the embeddings server answered ${Array.isArray(data) ? data.length : 'no'} embeddings for ${count} inputs`)
    }
    const out = new Array<Float32Array>(count)
    data.forEach((item, position) => {
      const index = typeof item.index === 'number' ? item.index : position
      const raw = item.embedding as unknown
      // base64 (little-endian float32) as requested, or a plain array from servers that ignore encoding_format.
      const v = typeof raw === 'string' ? decodeBase64Floats(raw) : Array.isArray(raw) ? Float32Array.from(raw as number[]) : undefined
      if (!v || index < 0 || index >= count || out[index]) {
        throw new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the embeddings server answered a malformed embedding at position ${position}`)
      }
      if (v.length !== this.dimension) {
        throw new VgentError(
          ErrorCode.DIMENSION_MISMATCH,
          `${this.model} returned ${v.length}-dimensional embeddings, this embedder was configured for ${this.dimension}`,
        )
      }
      out[index] = v
    })
    return out
  }

  private backoffMs(err: ApiErrorLike, attempt: number): number {
    const ms = parseFloat(err.headers?.get('retry-after-ms') ?? '')
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, this.retryMaxMs)
    const s = parseFloat(err.headers?.get('retry-after') ?? '')
    if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, this.retryMaxMs)
    const exp = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt)
    return exp * (0.75 + Math.random() * 0.25)
  }

  private translate(err: ApiErrorLike, retries: number): VgentError {
    const status = err.status
    const detail = err.message ?? String(err)
    const after = retries > 0 ? ` (after ${retries} ${retries === 1 ? 'retry' : 'retries'})` : ''
    if (status === 401 || status === 403) {
      return new VgentError(
        ErrorCode.AUTH_FAILED,
        `the embeddings server refused the API key (${status}): check OPENAI_API_KEY or the apiKey option. Server said: ${detail}`,
        { cause: err },
      )
    }
    if (status === 404) {
      return new VgentError(ErrorCode.INVALID_ARGUMENT, `the embeddings server does not know the model ${JSON.stringify(this.model)}: ${detail}`, { cause: err })
    }
    if (status === 400 || status === 422) {
      return new VgentError(ErrorCode.INVALID_ARGUMENT, `the embeddings server rejected the request: ${detail}`, { cause: err })
    }
    if (status === 429 && err.code === 'insufficient_quota') {
      return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the OpenAI account has no quota left: ${detail}`, { cause: err })
    }
    if (status === undefined) {
      const what = connectionFailure(err) === 'timeout' ? `timed out after ${this.timeoutMs} ms` : 'could not be reached'
      return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the embeddings server ${what}${after}: ${detail}`, { cause: err })
    }
    return new VgentError(ErrorCode.BACKEND_UNAVAILABLE, `the embeddings server failed with ${status}${after}: ${detail}`, { cause: err })
  }
}

function createClient(o: OpenAIEmbedderOptions): OpenAI {
  if (o.baseURL !== undefined && (typeof o.baseURL !== 'string' || !URL.canParse(o.baseURL))) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `baseURL must be an absolute URL, got ${JSON.stringify(o.baseURL)}`)
  }
  let apiKey = o.apiKey ?? process.env.OPENAI_API_KEY
  if (apiKey !== undefined && typeof apiKey !== 'string') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'apiKey must be a string')
  }
  if (!apiKey) {
    // Local OpenAI-compatible servers usually need no key; the client insists on one.
    if (o.baseURL === undefined) {
      throw new VgentError(ErrorCode.AUTH_FAILED, 'no OpenAI API key: set OPENAI_API_KEY or pass apiKey')
    }
    apiKey = 'no-key'
  }
  const mod = requireOptionalPeer<{ OpenAI: new (opts: Record<string, unknown>) => OpenAI }>('openai', 'OpenAIEmbedder')
  return new mod.OpenAI({ apiKey, baseURL: o.baseURL })
}

function isRetryable(err: ApiErrorLike): boolean {
  const status = err.status
  if (status === undefined) return connectionFailure(err) !== undefined
  if (status === 429) return err.code !== 'insufficient_quota'
  return status === 408 || status === 409 || status >= 500
}

function decodeBase64Floats(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(bytes.byteLength >>> 2)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
