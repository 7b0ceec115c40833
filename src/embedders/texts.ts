/**
 * Text helpers over any store: `addTexts` embeds and stores, `searchText` embeds a query and searches.
 * They use only the public protocol, so they work on every tier, and they keep one store to one
 * embedding model:
 *  - the embedder's dimension must be the store's (`DIMENSION_MISMATCH`);
 *  - every entry they write records the embedder's `source` in its metadata under `_vgent_source`
 *    (metadata is the one per-entry channel every tier persists), and
 *  - an embedder whose source differs from the one already in the store is refused
 *    (`EMBEDDER_MISMATCH`): by `addTexts` before anything is embedded or written, by `searchText`
 *    when the entries it finds were written by another source (or, when it finds none of its own
 *    source, when the store holds any entry of another).
 * The stores themselves stay source-agnostic: `store.add/search` accept any vector of the right
 * dimension, including ones written without these helpers (entries without `_vgent_source` are
 * never refused).
 */
import { createHash } from 'node:crypto'
import { ErrorCode, VgentError } from '../errors'
import type { Metadata, SearchOptions, SearchResult, VgentProtocol } from '../types'
import { checkId, checkMetadata } from '../validate'
import { type EmbedBatchOptions, type Embedder, checkBatchOptions, checkOptionsObject, checkText } from './embedder'

/** Metadata key holding the source of the embedder that produced an entry's vector. */
export const SOURCE_KEY = '_vgent_source'

export interface TextItem {
  id: string
  text: string
  metadata?: Metadata
}

export interface AddTextsOptions extends EmbedBatchOptions {
  /** Also store each text in its metadata under this key (e.g. `text`); default: texts are not stored. */
  textKey?: string
}

/** The id `addTexts` gives a bare string: `text-` and the first 32 hex digits of its SHA-256, so re-adding a text replaces it. */
export function textId(text: string): string {
  return `text-${createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32)}`
}

/**
 * Embeds the texts with `embedder` and upserts them into `store` in one atomic batch; resolves to
 * the ids. Items are `{ id, text, metadata? }`, or bare strings (ids from `textId`).
 */
export async function addTexts(
  store: VgentProtocol,
  embedder: Embedder,
  items: TextItem[] | string[],
  opts?: AddTextsOptions,
): Promise<string[]> {
  const o = checkOptionsObject(opts, 'addTexts') as AddTextsOptions
  const { onProgress } = checkBatchOptions({ onProgress: o.onProgress })
  if (o.textKey !== undefined && (typeof o.textKey !== 'string' || o.textKey.length === 0 || o.textKey === SOURCE_KEY)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, `textKey must be a non-empty string other than ${SOURCE_KEY}`)
  }
  const rows = checkItems(items, o.textKey)
  checkFits(store, embedder)
  await refuseOtherSource(store, embedder.source)
  const embeddings = await embedder.embedBatch(
    rows.map((r) => r.text),
    { onProgress },
  )
  return store.addBatch(
    rows.map((r, i) => ({ id: r.id, vector: embeddings[i], metadata: { ...r.metadata, [SOURCE_KEY]: embedder.source } })),
  )
}

/** Embeds `text` with `embedder` and searches `store` with it. */
export async function searchText(store: VgentProtocol, embedder: Embedder, text: string, options?: SearchOptions): Promise<SearchResult[]> {
  checkText(text)
  checkFits(store, embedder)
  const query = await embedder.embed(text)
  const results = await store.search(query, options)
  let vouched = false
  for (const r of results) {
    const stored = r.metadata[SOURCE_KEY]
    if (typeof stored === 'string' && stored !== embedder.source) throw mismatch(stored, embedder.source)
    vouched ||= stored === embedder.source
  }
  // No result says which model the store holds (none found, e.g. under a threshold or filter, or only
  // untagged ones): ask the store, so that another model's query is refused rather than answered with nothing.
  if (!vouched) await refuseOtherSource(store, embedder.source)
  return results
}

function checkFits(store: VgentProtocol, embedder: Embedder): void {
  if (typeof store !== 'object' || store === null || typeof store.search !== 'function') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'store must be a vgent store (VgentProtocol)')
  }
  if (typeof embedder !== 'object' || embedder === null || typeof embedder.embedBatch !== 'function' || typeof embedder.source !== 'string') {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'embedder must be an Embedder (dimension, source, embed, embedBatch)')
  }
  if (embedder.dimension !== store.dimension) {
    throw new VgentError(
      ErrorCode.DIMENSION_MISMATCH,
      `the embedder ${embedder.source} produces ${embedder.dimension}-dimensional vectors, the store holds dimension ${store.dimension}`,
    )
  }
}

/** One search for an entry written by another source: a filter, so it finds one wherever it is. */
async function refuseOtherSource(store: VgentProtocol, source: string): Promise<void> {
  const probe = new Float32Array(store.dimension)
  probe[0] = 1
  const [other] = await store.search(probe, { limit: 1, filter: { [SOURCE_KEY]: { $exists: true, $ne: source } } })
  if (other) throw mismatch(String(other.metadata[SOURCE_KEY]), source)
}

function mismatch(stored: string, used: string): VgentError {
  return new VgentError(
    ErrorCode.EMBEDDER_MISMATCH,
    `this store holds vectors embedded by ${stored}; vectors from ${used} are not comparable with them. ` +
      `Use the same embedder, or a separate store per model.`,
  )
}

function checkItems(items: unknown, textKey: string | undefined): { id: string; text: string; metadata: Metadata }[] {
  if (!Array.isArray(items)) {
    throw new VgentError(ErrorCode.INVALID_ARGUMENT, 'addTexts needs an array of strings or { id, text, metadata? } items')
  }
  return items.map((item, i) => {
    const where = `items[${i}]`
    const bare = typeof item === 'string'
    if (!bare && (typeof item !== 'object' || item === null)) {
      throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where} must be a string or { id, text, metadata? }`)
    }
    const text = checkText(bare ? item : (item as TextItem).text, bare ? where : `${where}.text`)
    const id = bare ? textId(text) : checkId((item as TextItem).id, `${where}.id`)
    const metadata = bare ? {} : checkMetadata((item as TextItem).metadata, `${where}.metadata`)
    for (const key of [SOURCE_KEY, textKey]) {
      if (key !== undefined && Object.hasOwn(metadata, key)) {
        throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where}.metadata.${key} is reserved: addTexts writes it`)
      }
    }
    if (textKey !== undefined) metadata[textKey] = text
    return { id, text, metadata }
  })
}
