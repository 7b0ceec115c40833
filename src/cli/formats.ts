/**
 * Reading vectors for `vgent import`: JSONL (`{"id","vector","metadata"}` per line), NumPy `.npy`
 * (float32/float64, 2-D, C order) and `.fvecs`. Everything is parsed and checked before anything is
 * written, so a bad file leaves the store untouched; errors name the file and line (or row).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, VgentError } from '../errors'
import { checkVector } from '../fallback/metrics'
import type { DistanceMetric, Metadata } from '../types'
import { checkId, checkMetadata } from '../validate'

export interface ImportData {
  ids: string[]
  /** n × dimension, row-major. */
  vectors: Float32Array
  metadata: Metadata[]
  dimension: number
}

function bad(file: string, where: string, message: string): never {
  throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${file}:${where}: ${message}`)
}

/**
 * The store's own check of one vector (the TypeScript core's copy of the native one): finite as
 * float32 (1e39 is not) and, under cosine, not a zero vector. Here it names the file and line.
 */
function checkRow(file: string, where: string, v: Float32Array, at: number, dim: number, metric: DistanceMetric): void {
  try {
    checkVector(v, at, dim, metric, 'the vector')
  } catch (e) {
    bad(file, where, (e as Error).message.replace(/^[A-Z_]+: /, ''))
  }
}

export function readImportFile(file: string, expectDimension?: number, metric: DistanceMetric = 'cosine'): ImportData {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(file)
  } catch (e) {
    throw new VgentError(ErrorCode.IO_ERROR, `cannot read ${file}: ${(e as Error).message}`)
  }
  const ext = path.extname(file).toLowerCase()
  const base = path.basename(file, ext)
  if (ext === '.npy') return fromMatrix(file, readNpy(file, bytes), base, metric, expectDimension)
  if (ext === '.fvecs') return fromMatrix(file, readFvecs(file, bytes), base, metric, expectDimension)
  return readJsonl(file, bytes.toString('utf8'), metric, expectDimension)
}

function readJsonl(file: string, text: string, metric: DistanceMetric, expectDimension?: number): ImportData {
  const ids: string[] = []
  const rows: Float32Array[] = []
  const metadata: Metadata[] = []
  let dimension = expectDimension
  const seen = new Map<string, number>()
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    const at = String(i + 1)
    if (line === '') return
    let rec: { id?: unknown; vector?: unknown; metadata?: unknown }
    try {
      rec = JSON.parse(line)
    } catch (e) {
      bad(file, at, `not JSON: ${(e as Error).message}`)
    }
    if (typeof rec !== 'object' || rec === null) bad(file, at, 'each line must be an object {"id","vector","metadata"?}')
    try {
      checkId(rec.id)
    } catch (e) {
      bad(file, at, (e as Error).message)
    }
    if (!Array.isArray(rec.vector) || rec.vector.length === 0) bad(file, at, '"vector" must be a non-empty array of numbers')
    dimension ??= rec.vector.length
    if (rec.vector.length !== dimension) bad(file, at, `vector has dimension ${rec.vector.length}, expected ${dimension}`)
    rec.vector.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) bad(file, at, `vector[${j}] is not a finite number`)
    })
    const row = Float32Array.from(rec.vector as number[])
    checkRow(file, at, row, 0, row.length, metric)
    let md: Metadata
    try {
      md = checkMetadata(rec.metadata ?? {})
    } catch (e) {
      bad(file, at, (e as Error).message)
    }
    const id = rec.id as string
    const prev = seen.get(id)
    if (prev !== undefined) {
      // The last line for an id wins, as in addBatch.
      rows[prev] = row
      metadata[prev] = md
      return
    }
    seen.set(id, ids.length)
    ids.push(id)
    rows.push(row)
    metadata.push(md)
  })
  if (ids.length === 0 || dimension === undefined) bad(file, '1', 'no vectors in the file')
  const dim: number = dimension
  const vectors = new Float32Array(ids.length * dim)
  rows.forEach((r, i) => vectors.set(r, i * dim))
  return { ids, vectors, metadata, dimension: dim }
}

interface Matrix {
  rows: number
  cols: number
  data: Float32Array
}

function readNpy(file: string, b: Buffer): Matrix {
  if (b.length < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY') bad(file, 'header', 'not a .npy file')
  const major = b[6]
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8)
  const start = major === 1 ? 10 : 12
  const header = b.toString('latin1', start, start + headerLen)
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order':\s*True/.test(header)
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number)
  if (!descr || !shape) bad(file, 'header', 'unreadable .npy header')
  if (fortran) bad(file, 'header', 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray')
  if (shape.length !== 2) bad(file, 'header', `expected a 2-D array (rows × dimension), got shape (${shape.join(', ')})`)
  const [rows, cols] = shape
  const body = b.subarray(start + headerLen)
  const data = new Float32Array(rows * cols)
  if (descr === '<f4') {
    if (body.length < rows * cols * 4) bad(file, 'data', 'the file is shorter than its shape says')
    data.set(new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + rows * cols * 4)))
  } else if (descr === '<f8') {
    if (body.length < rows * cols * 8) bad(file, 'data', 'the file is shorter than its shape says')
    const f64 = new Float64Array(body.buffer.slice(body.byteOffset, body.byteOffset + rows * cols * 8))
    data.set(f64)
  } else {
    bad(file, 'header', `dtype ${descr} is not supported (use little-endian float32 or float64)`)
  }
  return { rows, cols, data }
}

function readFvecs(file: string, b: Buffer): Matrix {
  if (b.length < 4) bad(file, 'row 1', 'empty file')
  const cols = b.readInt32LE(0)
  if (cols <= 0) bad(file, 'row 1', `bad dimension ${cols}`)
  const rowBytes = 4 + cols * 4
  if (b.length % rowBytes !== 0) bad(file, `row ${Math.floor(b.length / rowBytes) + 1}`, 'truncated row')
  const rows = b.length / rowBytes
  const data = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    const d = b.readInt32LE(r * rowBytes)
    if (d !== cols) bad(file, `row ${r + 1}`, `dimension ${d}, expected ${cols}`)
    data.set(new Float32Array(b.buffer.slice(b.byteOffset + r * rowBytes + 4, b.byteOffset + (r + 1) * rowBytes)), r * cols)
  }
  return { rows, cols, data }
}

function fromMatrix(file: string, m: Matrix, base: string, metric: DistanceMetric, expectDimension?: number): ImportData {
  if (expectDimension !== undefined && m.cols !== expectDimension) bad(file, 'header', `vectors have dimension ${m.cols}, expected ${expectDimension}`)
  for (let r = 0; r < m.rows; r++) checkRow(file, `row ${r + 1}`, m.data, r * m.cols, m.cols, metric)
  const ids = Array.from({ length: m.rows }, (_, i) => `${base}-${i}`)
  return { ids, vectors: m.data, metadata: ids.map(() => ({})), dimension: m.cols }
}
