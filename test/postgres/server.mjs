// Starts the test PostgreSQL (+ pgvector) through scripts/postgres-test.sh, or uses $KGENTS_POSTGRES_URL.
// When no server can be had, tests skip loudly, except under VGENT_NO_SKIP=1 (CI), where they fail.
import { execFile, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

/** A TCP port nothing listens on right now (asked synchronously, so that test registration can use it). */
export function freePort() {
  const r = spawnSync(
    process.execPath,
    ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"],
    { encoding: 'utf8' },
  )
  const port = Number(r.stdout.trim())
  if (!Number.isInteger(port) || port <= 0) throw new Error(`could not find a free port: ${r.stderr}`)
  return port
}

/**
 * The URL of the main test server, or undefined (after a loud warning) when there is none.
 * Throws under VGENT_NO_SKIP=1 instead of returning undefined.
 */
export function mainServer(test) {
  if (process.env.KGENTS_POSTGRES_URL) return { url: process.env.KGENTS_POSTGRES_URL, server: undefined }
  // A server of this process's own, on a free port with its own data dir: another test run at the same
  // time (another worktree, another user of the default 55432) can neither stop it nor see its tables.
  const server = new TestServer({ port: freePort(), root: join(tmpdir(), `vgent-pg-test-${process.pid}`) })
  const error = server.startSync()
  if (error) {
    if (process.env.VGENT_NO_SKIP === '1') throw new Error(`postgres tests cannot run: ${error}`)
    console.warn(`\n*** SKIPPING the Postgres tier tests: ${error}\n*** run: sudo scripts/postgres-test.sh install\n`)
    test.skip('postgres tier: no server', () => {})
    return undefined
  }
  test.after.always(() => server.destroy())
  return { url: server.url, server }
}
