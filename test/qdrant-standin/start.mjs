// Starts the Qdrant stand-in (server.py) for a test file: finds a Python with qdrant-client, spawns
// the server on a free port, waits for its READY line, and stops it by its pid afterwards.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'server.py')

/** A Python that can import qdrant_client, or null: $VGENT_QDRANT_STANDIN_PYTHON, the setup script's venv, python3. */
export function findStandinPython() {
  const venv = process.env.VGENT_QDRANT_STANDIN_VENV ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vgent', 'qdrant-standin-venv')
  const candidates = [process.env.VGENT_QDRANT_STANDIN_PYTHON, join(venv, 'bin', 'python'), 'python3'].filter(Boolean)
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue
    const r = spawnSync(python, ['-c', 'import qdrant_client'], { stdio: 'ignore', timeout: 60_000 })
    if (r.status === 0) return python
  }
  return null
}

/** Spawns the stand-in (with `apiKey`: requiring that key); resolves to { url, stop } once it accepts connections. */
export function startStandin(python, { timeoutMs = 60_000, apiKey } = {}) {
  const args = [SERVER, '--port', '0', ...(apiKey === undefined ? [] : ['--api-key', apiKey])]
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`the Qdrant stand-in did not start within ${timeoutMs} ms: ${stderr}`))
    }, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the Qdrant stand-in exited (${code ?? signal}) before it was ready: ${stderr}`))
    })
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^READY (\d+)$/.exec(line)
      if (!m) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ url: `http://127.0.0.1:${m[1]}`, pid: child.pid, stop })
    })
  })
}
