/**
 * Errors thrown by the TypeScript core exactly as the native binding throws them: a plain `Error`
 * whose message is `CODE: message` (crates/vgent-node/src/error.rs), so `fromNative` treats both alike.
 */
import type { ErrorCode } from '../errors'

export function coreError(code: ErrorCode, message: string): Error {
  return new Error(`${code}: ${message}`)
}

/** Rust's `{:?}` of a string, close enough for messages: quoted and escaped. */
export function quote(s: string): string {
  return JSON.stringify(s)
}
