/**
 * The portable filter language as a SQL condition over the `metadata jsonb` column, matching
 * `matchesFilter` exactly. Keys and values are always bind parameters.
 *
 * - equality is jsonb containment, which is typed (1 ≠ '1' ≠ true) and compares numbers by value;
 *   a string also matches a string[] containing it (`{"k": ["s"]}`);
 * - comparisons only hold on jsonb numbers (CASE, so a cast is never attempted on a non-number);
 * - keys and strings holding NUL cannot be stored, so tests on them are FALSE;
 * - every leaf is TRUE or FALSE, never NULL, so NOT is plain negation and a missing key matches
 *   exactly the negative tests ($ne, $nin, $exists: false, $not).
 */
import type { FilterNode, FilterScalar } from '../../filter'
import type { SqlParams } from './sql-params'

const COMPARE_SQL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const

/** `{ [key]: value }` as JSON, with `key` always an own property (even `__proto__`). */
function jsonObject(key: string, value: unknown): string {
  return JSON.stringify({ [key]: value })
}

/** Postgres text cannot hold NUL, so no stored key or string contains one: such a test is simply FALSE. */
function unstorable(...texts: unknown[]): boolean {
  return texts.some((t) => typeof t === 'string' && t.includes('\0'))
}

function equalsSql(column: string, key: string, value: FilterScalar, p: SqlParams): string {
  if (unstorable(key, value)) return 'FALSE'
  const scalar = `${column} @> ${p.add(jsonObject(key, value))}::jsonb`
  if (typeof value !== 'string') return scalar
  return `(${scalar} OR ${column} @> ${p.add(jsonObject(key, [value]))}::jsonb)`
}

/** Translates a compiled filter into a boolean SQL expression over `column`. */
export function filterToSql(node: FilterNode, column: string, p: SqlParams): string {
  switch (node.op) {
    case 'all':
      return 'TRUE'
    case 'and':
    case 'or':
      return `(${node.args.map((a) => filterToSql(a, column, p)).join(node.op === 'and' ? ' AND ' : ' OR ')})`
    case 'not':
      return `(NOT ${filterToSql(node.arg, column, p)})`
    case 'eq':
      return equalsSql(column, node.key, node.value, p)
    case 'ne':
      return `(NOT ${equalsSql(column, node.key, node.value, p)})`
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (unstorable(node.key)) return 'FALSE'
      const key = p.add(node.key)
      return (
        `(CASE WHEN jsonb_typeof(${column} -> ${key}::text) = 'number' ` +
        `THEN (${column} ->> ${key}::text)::numeric ${COMPARE_SQL[node.op]} ${p.add(String(node.value))}::numeric ELSE FALSE END)`
      )
    }
    case 'in':
    case 'nin': {
      const any = node.values.length === 0 ? 'FALSE' : `(${node.values.map((v) => equalsSql(column, node.key, v, p)).join(' OR ')})`
      return node.op === 'in' ? any : `(NOT ${any})`
    }
    case 'exists': {
      const has = unstorable(node.key) ? 'FALSE' : `(${column} ? ${p.add(node.key)}::text)`
      return node.value ? has : `(NOT ${has})`
    }
  }
}
