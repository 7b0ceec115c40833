/** The D-gent datum protocol: a generic, causally linked datum store that vgent can sit on. */

export interface Datum {
  /** 1 to 1,024 bytes of UTF-8. */
  id: string
  content: Uint8Array
  /** Milliseconds since the epoch. */
  createdAt: number
  /** The datum this one was derived from, or null. */
  causalParent: string | null
  metadata: Record<string, string>
}

export interface DgentListOptions {
  /** Literal id prefix (no patterns). */
  prefix?: string
  /** Keep datums with `createdAt > after`. */
  after?: number
  /** A positive integer; default 100. */
  limit?: number
}

export interface DgentProtocol {
  /** Inserts or replaces; resolves to the id once the datum is stored (durably, for a file store). */
  put(datum: Datum): Promise<string>
  get(id: string): Promise<Datum | null>
  delete(id: string): Promise<boolean>
  /** Newest first (by `createdAt`, then by write order). */
  list(opts?: DgentListOptions): Promise<Datum[]>
  /** Oldest first, ending at `id`; stops at a missing parent; a cycle ends the chain. */
  causalChain(id: string): Promise<Datum[]>
  exists(id: string): Promise<boolean>
  count(): Promise<number>
  close(): Promise<void>
}
