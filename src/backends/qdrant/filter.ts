/**
 * The portable filter language (compiled `FilterNode`) as a Qdrant filter, with the same meaning as
 * `matchesFilter` (src/filter.ts), so filtering happens inside Qdrant, before truncation:
 *
 * - string equality: `match.value`, which on a string[] value means "contains", as in vgent;
 * - number equality: `range {gte: n, lte: n}`, since Qdrant's `match` takes no floats and keeps
 *   integers and floats apart, and a range never matches a boolean or a string (no coercion);
 * - boolean equality: `match.value` on a boolean, which matches booleans only;
 * - `$ne`, `$nin`, `$not`: `must_not`, so a missing key matches, as in vgent;
 * - `$exists`: membership of the key in the `_vgent_keys` list (exact even for `[]` values);
 * - an empty `$in` matches nothing: `has_id: []`.
 */
import type { Schemas } from '@qdrant/js-client-rest'
import type { FilterNode, FilterScalar } from '../../filter'
import { KEYS_KEY, metadataPath } from './payload'

type Filter = Schemas['Filter']
type Condition = Schemas['Condition']

const NOTHING: Filter = { must: [{ has_id: [] }] }
const EVERYTHING: Filter = {}

/** The Qdrant filter for a compiled vgent filter. */
export function toQdrantFilter(node: FilterNode): Filter {
  switch (node.op) {
    case 'all':
      return EVERYTHING
    case 'and':
      return { must: node.args.map(toQdrantFilter) }
    case 'or':
      return { should: node.args.map(toQdrantFilter) }
    case 'not':
      return { must_not: [toQdrantFilter(node.arg)] }
    case 'eq':
      return { must: [equals(node.key, node.value)] }
    case 'ne':
      return { must_not: [equals(node.key, node.value)] }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { must: [{ key: metadataPath(node.key), range: { [node.op]: node.value } }] }
    case 'in':
      return anyOf(node.key, node.values)
    case 'nin':
      return node.values.length === 0 ? EVERYTHING : { must_not: [anyOf(node.key, node.values)] }
    case 'exists': {
      const present: Condition = { key: KEYS_KEY, match: { value: node.key } }
      return node.value ? { must: [present] } : { must_not: [present] }
    }
  }
}

function equals(key: string, value: FilterScalar): Condition {
  const path = metadataPath(key)
  if (typeof value === 'number') return { key: path, range: { gte: value, lte: value } }
  return { key: path, match: { value } }
}

/** Matches when the key equals any of the values; strings share one `match.any`. */
function anyOf(key: string, values: FilterScalar[]): Filter {
  const strings = values.filter((v): v is string => typeof v === 'string')
  const others = values.filter((v) => typeof v !== 'string')
  const conditions: Condition[] = others.map((v) => equals(key, v))
  if (strings.length > 0) conditions.push({ key: metadataPath(key), match: { any: strings } })
  return conditions.length === 0 ? NOTHING : { should: conditions }
}
