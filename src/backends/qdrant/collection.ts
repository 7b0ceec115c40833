/**
 * Opening a collection: created if missing (one unnamed vector of the store's size and distance,
 * plus the payload indexes vgent filters on), validated if present.
 */
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest'
import { ErrorCode, VgentError } from '../../errors'
import type { DistanceMetric } from '../../types'
import { fromQdrant } from './client'
import type { PayloadIndexType } from './options'
import { KEYS_KEY, metadataPath } from './payload'
import { QDRANT_DISTANCE } from './scores'

const INDEX_TYPES = new Set<string>(['keyword', 'integer', 'float', 'bool'])

export interface CollectionSpec {
  name: string
  dimension: number
  metric: DistanceMetric
  /** Metadata keys to index, by value type. */
  indexes: Record<string, PayloadIndexType>
}

export function checkIndexes(indexes: unknown): Record<string, PayloadIndexType> {
  if (indexes === undefined) return {}
  if (typeof indexes !== 'object' || indexes === null || Array.isArray(indexes)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, "indexes must be an object { metadataKey: 'keyword' | 'integer' | 'float' | 'bool' }")
  }
  for (const [key, type] of Object.entries(indexes)) {
    if (typeof type !== 'string' || !INDEX_TYPES.has(type)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `indexes.${key} must be 'keyword', 'integer', 'float' or 'bool', got ${JSON.stringify(type)}`)
    }
    try {
      metadataPath(key)
    } catch (e) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, (e as Error).message)
    }
  }
  return indexes as Record<string, PayloadIndexType>
}

export async function ensureCollection(client: QdrantClient, spec: CollectionSpec, url: string): Promise<void> {
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f()
    } catch (e) {
      throw fromQdrant(e, what, url)
    }
  }
  const distance = QDRANT_DISTANCE[spec.metric]
  const { exists } = await call('checking the collection', () => client.collectionExists(spec.name))
  if (!exists) {
    try {
      await client.createCollection(spec.name, { vectors: { size: spec.dimension, distance } })
    } catch (e) {
      // Someone else may have created it meanwhile; then it is validated below like any existing one.
      const again = await call('checking the collection', () => client.collectionExists(spec.name))
      if (!again.exists) throw fromQdrant(e, `creating collection ${spec.name}`, url)
    }
  }
  const info = await call('reading the collection', () => client.getCollection(spec.name))
  checkVectors(info, spec)
  const wanted: [string, PayloadIndexType][] = [
    [KEYS_KEY, 'keyword'],
    ...Object.entries(spec.indexes).map(([key, type]): [string, PayloadIndexType] => [metadataPath(key), type]),
  ]
  const present = info.payload_schema ?? {}
  for (const [field, type] of wanted) {
    if (Object.hasOwn(present, field)) continue
    await call(`creating the payload index on ${field}`, () =>
      client.createPayloadIndex(spec.name, { field_name: field, field_schema: type, wait: true }),
    )
  }
}

function checkVectors(info: Schemas['CollectionInfo'], spec: CollectionSpec): void {
  const vectors = info.config.params.vectors as { size?: unknown; distance?: unknown } | undefined
  const opened = `this store was opened with dimension ${spec.dimension} and metric ${spec.metric} (Qdrant distance ${QDRANT_DISTANCE[spec.metric]})`
  if (!vectors || typeof vectors.size !== 'number') {
    throw new VgentError(
      ErrorCode.STORE_MISMATCH,
      `Qdrant collection ${JSON.stringify(spec.name)} uses named vectors; vgent needs a single unnamed vector, and ${opened}`,
    )
  }
  if (vectors.size !== spec.dimension || vectors.distance !== QDRANT_DISTANCE[spec.metric]) {
    throw new VgentError(
      ErrorCode.STORE_MISMATCH,
      `Qdrant collection ${JSON.stringify(spec.name)} holds vectors of dimension ${vectors.size} with distance ${String(vectors.distance)}, but ${opened}`,
    )
  }
}
