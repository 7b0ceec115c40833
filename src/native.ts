/** Loads the napi-rs binding (the generated `index.js` at the package root) once, on first use. */
import { ErrorCode, VgentError } from './errors'

export interface NativeHit {
  id: string
  similarity: number
  distance: number
  metadata?: string
}

export interface NativeCollection {
  upsert(ids: string[], vectors: Float32Array, metadataJson?: string | null): void
  upsertAsync(ids: string[], vectors: Float32Array, metadataJson?: string | null): Promise<void>
  remove(id: string): boolean
  clear(): number
  get(id: string): { vector: Float32Array; metadata?: string } | null
  has(id: string): boolean
  count(): number
  search(q: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[]
  searchAsync(q: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[]>
  searchBatch(qs: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): NativeHit[][]
  searchBatchAsync(qs: Float32Array, k: number, threshold?: number | null, filterJson?: string | null): Promise<NativeHit[][]>
  syncAsync(): Promise<void>
  compact(): void
  close(): void
}

export interface NativeBinding {
  NativeCollection: {
    new (dimension: number, metric: string): NativeCollection
    openPersistent(dir: string, dimension: number, metric: string, fsync: boolean): NativeCollection
  }
  nativeInfo(): { isa: string; available: string[]; version: string }
}

let binding: NativeBinding | undefined

export function native(): NativeBinding {
  if (binding) return binding
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('../index.js') as NativeBinding
  } catch (e) {
    throw new VgentError(
      ErrorCode.BACKEND_UNAVAILABLE,
      `vgent's native core did not load for ${process.platform}-${process.arch}: ${(e as Error).message}. ` +
        'Reinstall vgent so that npm fetches the optional package for this platform.',
      { cause: e },
    )
  }
  return binding
}

export interface NativeInfo {
  /** The SIMD instruction set the kernels use on this CPU. */
  isa: 'avx512' | 'avx2' | 'sse' | 'neon' | 'scalar'
  /** Every instruction set this CPU could run, weakest first. */
  available: string[]
  version: string
}

/** Which native core is running and which SIMD kernels it chose. */
export function nativeInfo(): NativeInfo {
  return native().nativeInfo() as NativeInfo
}
