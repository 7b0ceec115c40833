/** Collects bind parameters for one statement: every value reaches the server as `$n`, never as SQL text. */
export class SqlParams {
  readonly values: unknown[] = []

  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/**
 * Quotes an identifier. Callers only pass names they have already validated against a strict
 * pattern; quoting is the second fence, so that a name can never be read as SQL.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
