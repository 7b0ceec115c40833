/**
 * The one switch point between the cores: loads the napi-rs binding (the generated `index.js` at the
 * package root) once, on first use, or the pure TypeScript core (src/fallback/) in its place.
 */
import { ErrorCode, VgentError } from './errors'
import { fallbackBinding } from './fallback/binding'

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
  /** The native addon reports no `native`/`reason`; the TypeScript core reports `native: false` and why. */
  nativeInfo(): { isa: string; available: string[]; version: string; native?: boolean; reason?: string }
}

let binding: NativeBinding | undefined

/** The optional npm package that carries the native addon for this platform (napi-rs naming). */
function platformPackage(): string {
  let abi = ''
  if (process.platform === 'win32') abi = '-msvc'
  else if (process.platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
    abi = report?.header?.glibcVersionRuntime ? '-gnu' : '-musl'
  }
  return `vgent-${process.platform}-${process.arch}${abi}`
}

/**
 * A load error in one line: its message and that of its deepest cause (the napi loader chains every
 * failed attempt as causes, the first attempt, the platform's own addon, deepest).
 */
function describeLoadError(e: unknown): string {
  const firstLine = (x: unknown) => (x instanceof Error ? x.message : String(x)).split('\n')[0]
  let deepest: unknown = e
  for (let i = 0; i < 16 && deepest instanceof Error && deepest.cause instanceof Error; i++) deepest = deepest.cause
  const top = firstLine(e)
  return deepest === e ? top : `${top} (first failure: ${firstLine(deepest)})`
}

/**
 * The core every store runs on, chosen once: the native addon, or the TypeScript core when
 * `VGENT_NATIVE=0` or when the addon does not load (said once, as a `VGENT_FALLBACK` warning).
 * `VGENT_NATIVE=1` requires the addon: a load failure is then `BACKEND_UNAVAILABLE`.
 */
export function native(): NativeBinding {
  if (binding) return binding
  const mode = process.env.VGENT_NATIVE
  if (mode === '0') {
    binding = fallbackBinding('VGENT_NATIVE=0')
    return binding
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('../index.js') as NativeBinding
  } catch (e) {
    const where = `${process.platform}-${process.arch}`
    const why = describeLoadError(e)
    if (mode === '1') {
      throw new VgentError(
        ErrorCode.BACKEND_UNAVAILABLE,
        `vgent's native core did not load for ${where}: ${why}. ` +
          `Reinstall vgent so that npm fetches the optional package ${platformPackage()} for this platform.`,
        { cause: e },
      )
    }
    binding = fallbackBinding(why)
    process.emitWarning(
      `vgent's native core did not load for ${where} (${why}); using the pure TypeScript core instead ` +
        '(same results, slower search). To fix it, reinstall vgent so that npm fetches the optional package ' +
        `${platformPackage()} (remove node_modules and the lockfile if npm skipped it); ` +
        'set VGENT_NATIVE=0 to choose the TypeScript core without this warning.',
      { code: 'VGENT_FALLBACK' },
    )
  }
  return binding
}

export interface NativeInfo {
  /** The SIMD instruction set the kernels use on this CPU (`scalar` for the TypeScript core). */
  isa: 'avx512' | 'avx2' | 'sse' | 'neon' | 'scalar'
  /** Every instruction set this CPU could run, weakest first (empty for the TypeScript core). */
  available: string[]
  version: string
  /** True when the native addon runs; false for the pure TypeScript core. */
  native: boolean
  /** Why the TypeScript core runs (`VGENT_NATIVE=0`, or the addon's load error); only when `native` is false. */
  reason?: string
}

/** Which core is running (native addon or TypeScript fallback) and which kernels it chose. */
export function nativeInfo(): NativeInfo {
  const info = native().nativeInfo()
  const out: NativeInfo = {
    isa: info.isa as NativeInfo['isa'],
    available: info.available,
    version: info.version,
    native: info.native ?? true,
  }
  if (info.reason !== undefined) out.reason = info.reason
  return out
}
