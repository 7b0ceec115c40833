/**
 * LocalEmbedder: a sentence-transformers model run in this process (transformers.js on
 * onnxruntime-node, an optional peer dependency), with no API key and no server. Embeddings are
 * computed like sentence-transformers does: tokens (truncated to `maxLength`, default 256) through
 * the transformer, mean pooling over the attention mask, then L2 normalization.
 *
 * Source: `local/<model name>`, the last path segment of `model` (default `local/all-MiniLM-L6-v2`),
 * whether the weights come from the hub or from `modelPath`, so one model is one source.
 *
 * Loading: with neither `modelPath` nor `offline`, transformers.js fetches the model from the
 * Hugging Face hub (a bare name like `all-MiniLM-L6-v2` means `Xenova/all-MiniLM-L6-v2`, its ONNX
 * export) and caches it. `offline: true` uses only that cache. `modelPath` loads a model folder
 * from disk (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx or
 * onnx/model_quantized.onnx). Neither of the last two ever touches the network.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Embedding } from '../embedding'
import { ErrorCode, VgentError } from '../errors'
import {
  type EmbedBatchOptions,
  type Embedder,
  checkBatchOptions,
  checkOptionsObject,
  checkText,
  checkTexts,
  positiveInt,
} from './embedder'
import { requireOptionalPeer } from './optional-peer'

export interface LocalEmbedderOptions {
  /** Model name or hub id; default `all-MiniLM-L6-v2`. Names the source. */
  model?: string
  /** A model folder on disk; loads from it with no network access. */
  modelPath?: string
  /** Load only from disk (`modelPath`) or the runtime's cache; never download. */
  offline?: boolean
  /** ONNX weights to use: `fp32` (onnx/model.onnx) or `q8` (onnx/model_quantized.onnx). Default: fp32 from the hub; from `modelPath`, fp32 if present, else q8. */
  dtype?: 'fp32' | 'q8'
  /** Tokens kept per text (longer texts are truncated); default 256, as sentence-transformers does for MiniLM. */
  maxLength?: number
  /** Texts per forward pass in `embedBatch`; default 32. */
  batchSize?: number
}

/** The slice of transformers.js this file uses. */
interface TensorLike {
  dims: number[]
  data: ArrayLike<number | bigint>
  dispose?(): void
}
type Tokenizer = (texts: string[], opts: Record<string, unknown>) => Record<string, TensorLike>
type Model = ((inputs: Record<string, TensorLike>) => Promise<Record<string, TensorLike>>) & { dispose?(): Promise<unknown> }
interface Transformers {
  env: { cacheDir?: string | null; localModelPath?: string | null }
  AutoTokenizer: { from_pretrained(id: string, opts: Record<string, unknown>): Promise<Tokenizer> }
  AutoModel: { from_pretrained(id: string, opts: Record<string, unknown>): Promise<Model> }
}

const DEFAULT_MODEL = 'all-MiniLM-L6-v2'

export class LocalEmbedder implements Embedder {
  readonly dimension: number
  readonly source: string
  private readonly maxLength: number
  private readonly batchSize: number
  /** One forward pass at a time: the session is shared and the machine's cores are already used by one. */
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly model: Model,
    dimension: number,
    source: string,
    maxLength: number,
    batchSize: number,
  ) {
    this.dimension = dimension
    this.source = source
    this.maxLength = maxLength
    this.batchSize = batchSize
  }

  static async load(opts?: LocalEmbedderOptions): Promise<LocalEmbedder> {
    const o = checkOptionsObject(opts, 'LocalEmbedder.load') as LocalEmbedderOptions
    const model = o.model ?? DEFAULT_MODEL
    if (typeof model !== 'string' || model.length === 0 || model.endsWith('/')) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'model must be a model name or hub id like all-MiniLM-L6-v2')
    }
    if (o.offline !== undefined && typeof o.offline !== 'boolean') {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'offline must be a boolean')
    }
    if (o.dtype !== undefined && o.dtype !== 'fp32' && o.dtype !== 'q8') {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `dtype must be 'fp32' or 'q8', got ${JSON.stringify(o.dtype)}`)
    }
    const maxLength = positiveInt(o.maxLength, 'maxLength', 256, 8192)
    const batchSize = positiveInt(o.batchSize, 'batchSize', 32, 4096)
    const source = `local/${model.split('/').pop()}`

    const t = requireOptionalPeer<Transformers>('@huggingface/transformers', 'LocalEmbedder')
    const hubId = model.includes('/') ? model : `Xenova/${model}`
    // A folder on disk is loaded by its absolute path, which transformers.js never resolves against
    // the hub. Offline without modelPath means the runtime's own cache folder, found here: its
    // `local_files_only` still probes the hub for tokenizer files (transformers.js 4.3).
    const dir = o.modelPath !== undefined ? checkModelFolder(o.modelPath) : o.offline === true ? cachedModelFolder(t, hubId) : undefined
    let dtype = o.dtype
    if (dir !== undefined) {
      dtype ??= fs.existsSync(path.join(dir, 'onnx', 'model.onnx')) ? 'fp32' : 'q8'
      const file = path.join(dir, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_quantized.onnx')
      if (!fs.existsSync(file)) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${dir} has no ${path.relative(dir, file)} (needed for dtype ${dtype})`)
      }
    }
    const id = dir ?? hubId
    const fromDisk = dir !== undefined
    let tokenizer: Tokenizer
    let net: Model
    try {
      tokenizer = await t.AutoTokenizer.from_pretrained(id, { local_files_only: fromDisk })
      net = await t.AutoModel.from_pretrained(id, { local_files_only: fromDisk, dtype: dtype ?? 'fp32' })
    } catch (e) {
      const why = (e as Error)?.message ?? String(e)
      throw new VgentError(
        fromDisk ? ErrorCode.INVALID_ARGUMENT : ErrorCode.BACKEND_UNAVAILABLE,
        fromDisk ? `could not load the model from ${id}: ${why}` : `could not fetch or load the model ${id} from the hub: ${why}`,
        { cause: e },
      )
    }
    const embedder = new LocalEmbedder(tokenizer, net, 0, source, maxLength, batchSize)
    // The output width is the model's hidden size: read it off a real forward pass rather than trusting a config field.
    const [probe] = await embedder.forward(['dimension probe'])
    ;(embedder as { dimension: number }).dimension = probe.length
    return embedder
  }

  async embed(text: string): Promise<Embedding> {
    const [v] = await this.forward([checkText(text)])
    return new Embedding(v, { source: this.source })
  }

  async embedBatch(texts: string[], opts?: EmbedBatchOptions): Promise<Embedding[]> {
    const checked = checkTexts(texts)
    const { onProgress } = checkBatchOptions(opts)
    // Similar lengths share a pass so that little is spent on padding (which never changes a result: pooling ignores it).
    const order = checked.map((_, i) => i).sort((a, b) => checked[a].length - checked[b].length)
    const out = new Array<Embedding>(checked.length)
    for (let start = 0; start < order.length; start += this.batchSize) {
      const idx = order.slice(start, start + this.batchSize)
      const vectors = await this.forward(idx.map((i) => checked[i]))
      idx.forEach((i, k) => (out[i] = new Embedding(vectors[k], { source: this.source })))
      onProgress?.(Math.min(start + this.batchSize, order.length), order.length)
    }
    return out
  }

  /** Releases the ONNX session. */
  async dispose(): Promise<void> {
    await this.model.dispose?.()
  }

  private forward(texts: string[]): Promise<Float64Array[]> {
    const run = this.queue.then(() => this.forwardNow(texts))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async forwardNow(texts: string[]): Promise<Float64Array[]> {
    const inputs = this.tokenizer(texts, { padding: true, truncation: true, max_length: this.maxLength })
    let outputs: Record<string, TensorLike> | undefined
    try {
      outputs = await this.model(inputs)
      const hidden = outputs.last_hidden_state ?? outputs.token_embeddings
      if (!hidden || hidden.dims.length !== 3) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'the model does not output last_hidden_state [batch, tokens, hidden]: not a sentence-embedding encoder')
      }
      return meanPoolNormalized(hidden, inputs.attention_mask)
    } finally {
      for (const t of Object.values(inputs)) t.dispose?.()
      for (const t of Object.values(outputs ?? {})) t.dispose?.()
    }
  }
}

/** sentence-transformers' pooling: the mean of the token vectors the mask keeps, then unit length. */
export function meanPoolNormalized(hidden: TensorLike, mask: TensorLike): Float64Array[] {
  const [batch, tokens, width] = hidden.dims
  const h = hidden.data as ArrayLike<number>
  const m = mask.data
  const out: Float64Array[] = []
  for (let b = 0; b < batch; b++) {
    const v = new Float64Array(width)
    let kept = 0
    for (let t = 0; t < tokens; t++) {
      if (Number(m[b * tokens + t]) === 0) continue
      kept++
      const base = (b * tokens + t) * width
      for (let k = 0; k < width; k++) v[k] += h[base + k]
    }
    let norm = 0
    for (let k = 0; k < width; k++) {
      v[k] /= Math.max(kept, 1)
      norm += v[k] * v[k]
    }
    // sentence-transformers' normalize divides by max(norm, 1e-12).
    norm = Math.max(Math.sqrt(norm), 1e-12)
    for (let k = 0; k < width; k++) v[k] /= norm
    out.push(v)
  }
  return out
}

/** The runtime's cache (or local model) folder holding `hubId`, for loading offline. */
function cachedModelFolder(t: Transformers, hubId: string): string {
  const roots = [t.env.cacheDir, t.env.localModelPath].filter((r): r is string => typeof r === 'string' && r.length > 0)
  const candidates = roots.map((r) => path.resolve(r, hubId))
  const found = candidates.find((d) => ['config.json', 'tokenizer.json', 'tokenizer_config.json'].every((f) => fs.existsSync(path.join(d, f))))
  if (found === undefined) {
    throw new VgentError(
      ErrorCode.INVALID_ARGUMENT,
      `offline: the model ${hubId} is not in the transformers.js cache (looked in ${candidates.join(', ')}). Load it once online, or pass modelPath.`,
    )
  }
  return found
}

function checkModelFolder(modelPath: unknown): string {
  if (typeof modelPath !== 'string' || modelPath.length === 0) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'modelPath must be a path to a model folder')
  }
  const dir = path.resolve(modelPath)
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!fs.existsSync(path.join(dir, file))) {
      throw new VgentError(
        ErrorCode.INVALID_ARGUMENT,
        `modelPath ${dir} has no ${file}: expected a transformers.js model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx or onnx/model_quantized.onnx)`,
      )
    }
  }
  return dir
}
