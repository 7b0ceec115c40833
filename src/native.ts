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
  validate(ids: string[], vectors: Float32Array, metadataJson?: string | null): void
  ids(): string[]
  getMany(ids: string[]): { ids: string[]; vectors: Float32Array; metadataJson: string }
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

export interface NativeDatum {
  id: string
  content: Buffer
  createdAt: number
  causalParent?: string | null
  metadataJson: string
}

export interface NativeDgent {
  put(id: string, content: Uint8Array, createdAt: number, causalParent: string | null, metadataJson: string): void
  get(id: string): NativeDatum | null
  delete(id: string): boolean
  exists(id: string): boolean
  count(): number
  list(prefix: string, after: number | null, limit: number): NativeDatum[]
  causalChain(id: string): NativeDatum[]
  syncAsync(): Promise<void>
  compact(): void
  close(): void
}

export interface NativeBinding {
  NativeCollection: {
    new (dimension: number, metric: string): NativeCollection
    openPersistent(dir: string, dimension: number, metric: string, fsync: boolean): NativeCollection
  }
  NativeDgent: { new (): NativeDgent }
  openPersistentAsync(dir: string, dimension: number, metric: string, fsync: boolean, readOnly: boolean): Promise<NativeCollection>
  openDgentAsync(dir: string, fsync: boolean, readOnly: boolean): Promise<NativeDgent>
  repairStoreAsync(dir: string): Promise<{ keptRecords: number; droppedRegions: number; droppedBytes: number }>
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
