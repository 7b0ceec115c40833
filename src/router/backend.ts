/** The tiers of the lattice, lowest first. */
import { ErrorCode, VgentError } from '../errors'

export const VectorBackend = {
  MEMORY: 'memory',
  DGENT: 'dgent',
  POSTGRES: 'postgres',
  QDRANT: 'qdrant',
} as const
export type VectorBackend = (typeof VectorBackend)[keyof typeof VectorBackend]

/** Lattice order: a promotion goes to a higher rank. */
export const LATTICE: readonly VectorBackend[] = ['memory', 'dgent', 'postgres', 'qdrant']

export interface BackendStatus {
  backend: VectorBackend
  available: boolean
  /** Why it is (un)available, in words a user can act on. */
  reason: string
  latencyMs: number | null
}

/** A backend name in any case, or null when it names no tier. */
export function parseBackend(name: unknown): VectorBackend | null {
  if (typeof name !== 'string') return null
  const b = name.trim().toLowerCase()
  return (LATTICE as readonly string[]).includes(b) ? (b as VectorBackend) : null
}

export function checkBackend(name: unknown, where: string): VectorBackend {
  const b = parseBackend(name)
  if (!b) throw new VgentError(ErrorCode.INVALID_ARGUMENT, `${where} must be one of ${LATTICE.join(', ')}, got ${JSON.stringify(name)}`)
  return b
}
