/**
 * The portable filter language, validated once here and compiled to a small canonical tree that every
 * tier consumes: the native core evaluates it during a scan, SQL and Qdrant adapters translate it.
 *
 *   { tag: 'a' }                       equality (on a string[] value: contains)
 *   { n: { $gt: 1, $lte: 5 } }         operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $not
 *   { $and: [...] } { $or: [...] } { $not: {...} }
 *   { a: 1, b: 2 }                     several keys: AND; {} matches everything
 *
 * A missing key fails every positive test, so it matches only $ne, $nin, $exists:false and negations.
 * No coercion: 1 never equals '1'. Anything else is an INVALID_FILTER error, never "no match".
 */
import { ErrorCode, VgentError } from './errors'
import type { Metadata, MetadataValue } from './types'

export type FilterScalar = string | number | boolean
export type FieldCondition =
  | FilterScalar
  | {
      $eq?: FilterScalar
      $ne?: FilterScalar
      $gt?: number
      $gte?: number
      $lt?: number
      $lte?: number
      $in?: FilterScalar[]
      $nin?: FilterScalar[]
      $exists?: boolean
      $not?: FieldCondition
    }
export type Filter = {
  $and?: Filter[]
  $or?: Filter[]
  $not?: Filter
  [key: string]: FieldCondition | Filter | Filter[] | undefined
}

/** The canonical tree (also the JSON the native core parses). */
export type FilterNode =
  | { op: 'all' }
  | { op: 'and' | 'or'; args: FilterNode[] }
  | { op: 'not'; arg: FilterNode }
  | { op: 'eq' | 'ne'; key: string; value: FilterScalar }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; key: string; value: number }
  | { op: 'in' | 'nin'; key: string; values: FilterScalar[] }
  | { op: 'exists'; key: string; value: boolean }

const COMPARISONS = ['$gt', '$gte', '$lt', '$lte'] as const

function fail(message: string): never {
  throw new VgentError(ErrorCode.INVALID_FILTER, message)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function isScalar(v: unknown): v is FilterScalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

function scalar(v: unknown, where: string): FilterScalar {
  if (!isScalar(v)) fail(`${where} needs a string, finite number or boolean, got ${describe(v)}`)
  return v
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array'
  if (v === null) return 'null'
  if (typeof v === 'number') return String(v)
  return typeof v
}

/** Validates a user filter and compiles it; `undefined` when there is nothing to filter on. */
export function compileFilter(filter: unknown): FilterNode | undefined {
  if (filter === undefined || filter === null) return undefined
  const node = compileObject(filter, 'filter')
  return node.op === 'all' ? undefined : node
}

function compileObject(f: unknown, where: string): FilterNode {
  if (!isPlainObject(f)) fail(`${where} must be a plain object, got ${describe(f)}`)
  const parts: FilterNode[] = []
  for (const [key, value] of Object.entries(f)) {
    if (value === undefined) continue
    parts.push(key.startsWith('$') ? compileCombinator(key, value, where) : compileField(key, value))
  }
  if (parts.length === 0) return { op: 'all' }
  return parts.length === 1 ? parts[0] : { op: 'and', args: parts }
}

function compileCombinator(op: string, value: unknown, where: string): FilterNode {
  switch (op) {
    case '$and':
    case '$or': {
      if (!Array.isArray(value) || value.length === 0) fail(`${op} needs a non-empty array of filters`)
      return { op: op === '$and' ? 'and' : 'or', args: value.map((v, i) => compileObject(v, `${op}[${i}]`)) }
    }
    case '$not':
      return { op: 'not', arg: compileObject(value, '$not') }
    default:
      fail(`unknown operator ${op} in ${where}: expected $and, $or, $not or a field name`)
  }
}

function compileField(key: string, cond: unknown): FilterNode {
  if (key.length === 0) fail('a filter key must be a non-empty string')
  if (isScalar(cond)) return { op: 'eq', key, value: cond }
  if (!isPlainObject(cond)) {
    fail(`the condition on ${JSON.stringify(key)} is ${describe(cond)}: use a value, or an object of operators such as {$in: [...]}`)
  }
  const parts: FilterNode[] = []
  for (const [op, v] of Object.entries(cond)) {
    if (v === undefined) continue
    parts.push(compileOperator(key, op, v))
  }
  if (parts.length === 0) fail(`the condition on ${JSON.stringify(key)} has no operator`)
  return parts.length === 1 ? parts[0] : { op: 'and', args: parts }
}

function compileOperator(key: string, op: string, v: unknown): FilterNode {
  const where = `${op} on ${JSON.stringify(key)}`
  switch (op) {
    case '$eq':
      return { op: 'eq', key, value: scalar(v, where) }
    case '$ne':
      return { op: 'ne', key, value: scalar(v, where) }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${where} needs a finite number, got ${describe(v)}`)
      return { op: op.slice(1) as 'gt' | 'gte' | 'lt' | 'lte', key, value: v }
    case '$in':
    case '$nin':
      if (!Array.isArray(v)) fail(`${where} needs an array, got ${describe(v)}`)
      return { op: op === '$in' ? 'in' : 'nin', key, values: v.map((x, i) => scalar(x, `${where}[${i}]`)) }
    case '$exists':
      if (typeof v !== 'boolean') fail(`${where} needs true or false, got ${describe(v)}`)
      return { op: 'exists', key, value: v }
    case '$not':
      return { op: 'not', arg: compileField(key, v) }
    default:
      fail(`unknown operator ${op} on ${JSON.stringify(key)}: expected one of $eq $ne ${COMPARISONS.join(' ')} $in $nin $exists $not`)
  }
}

function equals(v: MetadataValue, s: FilterScalar): boolean {
  if (Array.isArray(v)) return typeof s === 'string' && v.includes(s)
  return v === s
}

/** Evaluates a compiled filter in TypeScript: the reference the other evaluators are tested against. */
export function matchesFilter(node: FilterNode, md: Metadata): boolean {
  const field = (key: string): MetadataValue | undefined => (Object.hasOwn(md, key) ? md[key] : undefined)
  switch (node.op) {
    case 'all':
      return true
    case 'and':
      return node.args.every((a) => matchesFilter(a, md))
    case 'or':
      return node.args.some((a) => matchesFilter(a, md))
    case 'not':
      return !matchesFilter(node.arg, md)
    case 'eq':
    case 'ne': {
      const v = field(node.key)
      const eq = v !== undefined && equals(v, node.value)
      return node.op === 'eq' ? eq : !eq
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const v = field(node.key)
      if (typeof v !== 'number') return false
      if (node.op === 'gt') return v > node.value
      if (node.op === 'gte') return v >= node.value
      if (node.op === 'lt') return v < node.value
      return v <= node.value
    }
    case 'in':
    case 'nin': {
      const v = field(node.key)
      const hit = v !== undefined && node.values.some((s) => equals(v, s))
      return node.op === 'in' ? hit : !hit
    }
    case 'exists':
      return (field(node.key) !== undefined) === node.value
  }
}
