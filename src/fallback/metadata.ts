/**
 * Entry metadata as the native core takes it (crates/vgent-node/src/tasks.rs `parse_metadata`,
 * crates/vgent-core/src/metadata.rs): a JSON array with one plain object (or null) per id, values
 * string, finite number, boolean or string[]. An empty object is stored as "no metadata".
 */
import { ErrorCode } from '../errors'
import type { Metadata } from '../types'
import { coreError, quote } from './error'

function invalid(message: string): never {
  throw coreError(ErrorCode.INVALID_ARGUMENT, message)
}

function checkObject(v: unknown): Metadata {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid('metadata must be a plain object')
  const md = v as Record<string, unknown>
  for (const key of Object.keys(md)) {
    const x = md[key]
    const bad = (what: string) => invalid(`metadata value for ${quote(key)} is ${what}: expected string, finite number, boolean or string[]`)
    if (typeof x === 'string' || typeof x === 'boolean') continue
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) bad('not finite')
    } else if (Array.isArray(x)) {
      if (!x.every((i) => typeof i === 'string')) bad('an array with a non-string element')
    } else bad(x === null ? 'null' : 'a nested object')
  }
  return md as Metadata
}

/** One metadata entry per id (`undefined` = none), or an empty list when no JSON is given. */
export function parseMetadataJson(json: string | null | undefined, n: number): (Metadata | undefined)[] {
  if (json === null || json === undefined) return []
  let values: unknown
  try {
    values = JSON.parse(json)
  } catch (e) {
    invalid(`metadata is not a JSON array: ${(e as Error).message}`)
  }
  if (!Array.isArray(values)) invalid('metadata is not a JSON array')
  if (values.length !== n) invalid(`${values.length} metadata entries for ${n} ids`)
  return values.map((v) => {
    if (v === null) return undefined
    const md = checkObject(v)
    return Object.keys(md).length > 0 ? md : undefined
  })
}

/** Stored metadata as fresh JSON text (callers parse it into their own copy). */
export function metadataToJson(md: Metadata | undefined): string | undefined {
  return md === undefined ? undefined : JSON.stringify(md)
}
