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

function node(v: unknown): FilterNode {
  if (!isObject(v)) malformed('expected an object with an "op" field')
  const op = v.op
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) malformed(`unknown variant ${JSON.stringify(op)}`)
  const fields = FIELDS[op]
  for (const k of Object.keys(v)) if (k !== 'op' && !fields.includes(k)) malformed(`unknown field ${JSON.stringify(k)} in "${op}"`)
  for (const k of fields) if (!Object.hasOwn(v, k)) malformed(`missing field ${JSON.stringify(k)} in "${op}"`)
  if (fields.includes('key') && typeof v.key !== 'string') malformed(`"${op}" needs a string key`)
  switch (op) {
    case 'and':
    case 'or':
      if (!Array.isArray(v.args)) malformed(`"${op}" needs an array of filters`)
      return { op, args: v.args.map(node) }
    case 'not':
      return { op, arg: node(v.arg) }
    case 'eq':
    case 'ne':
      if (!isScalar(v.value)) malformed(`"${op}" needs a string, number or boolean value`)
      break
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (!isNumber(v.value)) malformed(`"${op}" needs a number value`)
      break
    case 'in':
    case 'nin':
      if (!Array.isArray(v.values) || !v.values.every(isScalar)) malformed(`"${op}" needs an array of strings, numbers or booleans`)
      break
    case 'exists':
      if (typeof v.value !== 'boolean') malformed('"exists" needs a boolean value')
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
