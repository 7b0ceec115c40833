/**
 * The canonical filter tree as the native core reads it (crates/vgent-core/src/filter.rs): a strict
 * parse of the JSON the TypeScript compiler produces (unknown ops, unknown or missing fields and
 * wrongly typed values are INVALID_FILTER), evaluated by `matchesFilter` from src/filter.ts, the
 * reference evaluator that has the Rust one's semantics (missing keys fail positive tests, no
 * coercion, `eq` on a string[] means "contains").
 */
import { ErrorCode } from '../errors'
import { matchesFilter, type FilterNode } from '../filter'
import type { Metadata } from '../types'
import { coreError } from './error'

const FIELDS: Record<string, readonly string[]> = {
  all: [],
  and: ['args'],
  or: ['args'],
  not: ['arg'],
  eq: ['key', 'value'],
  ne: ['key', 'value'],
  gt: ['key', 'value'],
  gte: ['key', 'value'],
  lt: ['key', 'value'],
  lte: ['key', 'value'],
  in: ['key', 'values'],
  nin: ['key', 'values'],
  exists: ['key', 'value'],
}

function malformed(why: string): never {
  throw coreError(ErrorCode.INVALID_FILTER, `malformed filter: ${why}`)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v)

/** How serde names an unexpected JSON value (`invalid type: <this>, expected …`). */
function serdeType(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`
  if (typeof v === 'boolean') return `boolean \`${v}\``
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``
  if (v === null) return 'null'
  return Array.isArray(v) ? 'sequence' : 'map'
}

function invalidType(v: unknown, expected: string): never {
  if (typeof v === 'number' && !Number.isFinite(v)) malformed('number out of range')
  malformed(`invalid type: ${serdeType(v)}, expected ${expected}`)
}

const OPS = Object.keys(FIELDS)
  .map((op) => `\`${op}\``)
  .join(', ')

function node(v: unknown): FilterNode {
  // serde reads a sequence as the fields in order, so `[]` lacks its tag.
  if (Array.isArray(v)) malformed('missing field `op`')
  if (!isObject(v)) invalidType(v, 'internally tagged enum Filter')
  const op = v.op
  if (op === undefined) malformed('missing field `op`')
  if (typeof op !== 'string') invalidType(op, 'variant identifier')
  if (!Object.hasOwn(FIELDS, op)) malformed(`unknown variant \`${String(op)}\`, expected one of ${OPS}`)
  const fields = FIELDS[op]
  // serde ignores extra fields beside the tag of a unit variant (`all`) and refuses them elsewhere.
  if (op !== 'all') {
    for (const k of Object.keys(v)) {
      if (k !== 'op' && !fields.includes(k)) malformed(`unknown field \`${k}\`, expected ${fields.map((f) => `\`${f}\``).join(' or ')}`)
    }
  }
  for (const k of fields) if (!Object.hasOwn(v, k)) malformed(`missing field \`${k}\``)
  if (fields.includes('key') && typeof v.key !== 'string') invalidType(v.key, 'a string')
  switch (op) {
    case 'and':
    case 'or':
      if (!Array.isArray(v.args)) invalidType(v.args, 'a sequence')
      return { op, args: v.args.map(node) }
    case 'not':
      return { op, arg: node(v.arg) }
    case 'eq':
    case 'ne':
      if (!isScalar(v.value)) malformed('data did not match any variant of untagged enum Scalar')
      break
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (!isNumber(v.value)) invalidType(v.value, 'f64')
      break
    case 'in':
    case 'nin':
      if (!Array.isArray(v.values)) invalidType(v.values, 'a sequence')
      if (!v.values.every(isScalar)) malformed('data did not match any variant of untagged enum Scalar')
      break
    case 'exists':
      if (typeof v.value !== 'boolean') invalidType(v.value, 'a boolean')
      break
  }
  return v as unknown as FilterNode
}

/** `Filter::from_json`: the canonical tree, or INVALID_FILTER. */
export function parseFilter(json: string): FilterNode {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch (e) {
    malformed((e as Error).message)
  }
  return node(v)
}

const NO_METADATA: Metadata = Object.freeze({}) as Metadata

/** `Filter::matches`: entries without metadata are evaluated as an empty map. */
export function matches(filter: FilterNode, md: Metadata | undefined): boolean {
  return filter.op === 'all' || matchesFilter(filter, md ?? NO_METADATA)
}
