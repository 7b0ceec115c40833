/**
 * How an entry is laid out in a Qdrant point's payload. vgent's own keys are prefixed `_vgent_`;
 * the user's metadata sits untouched under `metadata`, so user keys can never collide with ours and
 * the payload stays readable in Qdrant's own tools:
 *
 *   { _vgent_id: 'doc-1', _vgent_keys: ['lang', 'tags'], metadata: { lang: 'en', tags: [] },
 *     _vgent_raw?: '<base64 float32 LE>' }
 *
 * `_vgent_keys` lists the metadata keys present, which is how `$exists` is answered exactly (Qdrant's
 * `is_empty` also treats `[]` as absent). `_vgent_raw` is the vector as added, kept for cosine
 * collections only, because Qdrant normalises the vectors it stores for Cosine.
 */
import { deserializeVector, serializeVector } from '../../codec'
import { ErrorCode, VgentError } from '../../errors'
import type { Metadata } from '../../types'

export const ID_KEY = '_vgent_id'
export const KEYS_KEY = '_vgent_keys'
export const RAW_KEY = '_vgent_raw'
export const METADATA_KEY = 'metadata'

/** What search results need from the payload (not the raw vector). */
export const RESULT_PAYLOAD = [ID_KEY, METADATA_KEY]

export type Payload = Record<string, unknown>

export function toPayload(id: string, metadata: Metadata, raw: Float32Array | undefined): Payload {
  const payload: Payload = { [ID_KEY]: id, [KEYS_KEY]: Object.keys(metadata), [METADATA_KEY]: metadata }
  if (raw) payload[RAW_KEY] = serializeVector(raw).toString('base64')
  return payload
}

/**
 * Qdrant's key path for a metadata key. Quoting makes dots, brackets, spaces and any other character
 * part of the key, except `"` and `\`, which Qdrant's path syntax cannot express at all.
 */
export function metadataPath(key: string): string {
  if (key.includes('"') || key.includes('\\')) {
    throw new VgentError(
      ErrorCode.INVALID_FILTER,
      `the Qdrant tier cannot filter on metadata key ${JSON.stringify(key)}: Qdrant's key paths cannot contain " or \\`,
    )
  }
  return `${METADATA_KEY}."${key}"`
}

/** The vgent id of a point; a point written by something else falls back to its Qdrant id. */
export function idOf(point: { id: string | number; payload?: Payload | null }): string {
  const id = point.payload?.[ID_KEY]
  return typeof id === 'string' ? id : String(point.id)
}

export function metadataOf(payload: Payload | null | undefined): Metadata {
  const md = payload?.[METADATA_KEY]
  return typeof md === 'object' && md !== null && !Array.isArray(md) ? (md as Metadata) : {}
}

export function rawVectorOf(payload: Payload | null | undefined): Float32Array | undefined {
  const raw = payload?.[RAW_KEY]
  return typeof raw === 'string' ? deserializeVector(Buffer.from(raw, 'base64')) : undefined
}
