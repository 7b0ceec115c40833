/** Argument checks for datum stores: a bad call fails with a typed error and changes nothing. */
import { ErrorCode, VgentError } from '../errors'
import { checkId } from '../validate'
import type { Datum, DgentListOptions } from './types'

export const DEFAULT_LIST_LIMIT = 100
/** Room for any vector id (1,024 bytes) under any namespace prefix (129 bytes). */
export const MAX_DATUM_ID_BYTES = 2048

export function checkDatumId(id: unknown, where = 'datum id'): string {
  return checkId(id, where, MAX_DATUM_ID_BYTES)
}

export interface CheckedDatum {
  id: string
  content: Uint8Array
  createdAt: number
  causalParent: string | null
  metadataJson: string
}

function fail(message: string): never {
  throw new VgentError(ErrorCode.INVALID_ARGUMENT, message)
}

export function checkDatum(datum: unknown): CheckedDatum {
  if (typeof datum !== 'object' || datum === null) fail('put needs a datum object { id, content, createdAt, causalParent, metadata }')
  const d = datum as Partial<Datum>
  const id = checkDatumId(d.id)
  if (!(d.content instanceof Uint8Array)) fail(`datum ${JSON.stringify(id)}: content must be a Uint8Array (or Buffer)`)
  const createdAt = d.createdAt ?? Date.now()
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) {
    fail(`datum ${JSON.stringify(id)}: createdAt must be a finite number of milliseconds, got ${String(createdAt)}`)
  }
  const causalParent = d.causalParent ?? null
  if (causalParent !== null) checkDatumId(causalParent, 'causalParent')
  const metadata = d.metadata ?? {}
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    fail(`datum ${JSON.stringify(id)}: metadata must be an object of strings`)
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`datum ${JSON.stringify(id)}: metadata value of ${JSON.stringify(k)} must be a string, got ${typeof v}`)
  }
  return { id, content: d.content, createdAt, causalParent, metadataJson: JSON.stringify(metadata) }
}

export interface CheckedList {
  prefix: string
  after: number | null
  limit: number
}

export function checkListOptions(opts: DgentListOptions | undefined): CheckedList {
  if (opts === undefined) return { prefix: '', after: null, limit: DEFAULT_LIST_LIMIT }
  if (typeof opts !== 'object' || opts === null) fail('list options must be an object { prefix?, after?, limit? }')
  const { prefix = '', after, limit = DEFAULT_LIST_LIMIT } = opts
  if (typeof prefix !== 'string') fail(`list prefix must be a string, got ${typeof prefix}`)
  if (after !== undefined && (typeof after !== 'number' || !Number.isFinite(after))) fail(`list after must be a finite number, got ${String(after)}`)
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) fail(`list limit must be a positive integer, got ${String(limit)}`)
  return { prefix, after: after ?? null, limit }
}
