// Starts the test PostgreSQL (+ pgvector) through scripts/postgres-test.sh, or uses $KGENTS_POSTGRES_URL.
// When no server can be had, tests skip loudly, except under VGENT_NO_SKIP=1 (CI), where they fail.
import { execFile, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const SCRIPT = fileURLToPath(new URL('../../scripts/postgres-test.sh', import.meta.url))
const run = promisify(execFile)

/** A server instance managed by the script: its own port and data dir. */
export class TestServer {
  constructor({ port, root }) {
    this.env = { ...process.env, VGENT_PG_PORT: String(port), VGENT_PG_ROOT: root }
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`
    this.startedHere = false
  }

  /** Synchronous so that test registration can depend on it; returns an error message or undefined. */
  startSync() {
    const wasRunning = spawnSync('bash', [SCRIPT, 'status'], { env: this.env }).status === 0
    const r = spawnSync('bash', [SCRIPT, 'start'], { env: this.env, encoding: 'utf8' })
    if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status}`).trim()
    this.startedHere = !wasRunning
    return undefined
  }

  async stop() {
    await run('bash', [SCRIPT, 'stop'], { env: this.env })
  }

  async start() {
    await run('bash', [SCRIPT, 'start'], { env: this.env })
  }

  async destroy() {
    await run('bash', [SCRIPT, 'destroy'], { env: this.env })
  }
}

/**
 * The URL of the main test server, or undefined (after a loud warning) when there is none.
 * Throws under VGENT_NO_SKIP=1 instead of returning undefined.
 */
export function mainServer(test) {
  if (process.env.KGENTS_POSTGRES_URL) return { url: process.env.KGENTS_POSTGRES_URL, server: undefined }
  const server = new TestServer({ port: 55432, root: '/tmp/vgent-pg-test' })
  const error = server.startSync()
  if (error) {
    if (process.env.VGENT_NO_SKIP === '1') throw new Error(`postgres tests cannot run: ${error}`)
    console.warn(`\n*** SKIPPING the Postgres tier tests: ${error}\n*** run: sudo scripts/postgres-test.sh install\n`)
    test.skip('postgres tier: no server', () => {})
    return undefined
  }
  if (server.startedHere) test.after.always(() => server.stop())
  return { url: server.url, server }
}
