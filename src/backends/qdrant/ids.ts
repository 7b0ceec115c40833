/**
 * Qdrant accepts only unsigned integers or UUIDs as point ids, so each vgent id (any string) is
 * mapped to a name-based UUID v5 (RFC 9562 §5.5) under a fixed vgent namespace. The mapping is
 * deterministic, so an upsert of the same id always replaces the same point; the original id is kept
 * in the payload and returned in results.
 */
import { createHash } from 'node:crypto'

/** uuid5(NAMESPACE_URL, 'vgent:qdrant-point-id'): fixed forever, or existing collections lose their ids. */
export const POINT_ID_NAMESPACE = '716bdc7e-4814-5c48-b542-6ef2fe00b535'

const NAMESPACE_BYTES = Buffer.from(POINT_ID_NAMESPACE.replace(/-/g, ''), 'hex')

/** The Qdrant point id (a UUID string) of a vgent id. */
export function pointIdFor(id: string): string {
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(id, 'utf8').digest()
  hash[6] = (hash[6] & 0x0f) | 0x50 // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80 // RFC variant
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
