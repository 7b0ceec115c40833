/** Loads an optional peer dependency on first use, with an error that says what to install. */
import { ErrorCode, VgentError } from '../errors'

export function requireOptionalPeer<T>(name: string, purpose: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T
  } catch (e) {
    const missing = (e as { code?: string }).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(name)
    throw new VgentError(
      ErrorCode.BACKEND_UNAVAILABLE,
      missing
        ? `${purpose} needs the optional package ${name}: npm install ${name}`
        : `${purpose}: the package ${name} failed to load: ${(e as Error).message}`,
      { cause: e },
    )
  }
}
