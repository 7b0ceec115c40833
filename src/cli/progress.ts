/** Progress for long CLI jobs: a redrawn bar with rate and ETA on a terminal, plain lines otherwise. */

export interface Progress {
  update(done: number, total: number): void
  finish(): void
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  if (seconds < 60) return `${Math.ceil(seconds)}s`
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now()
  const tty = stream.isTTY === true
  let lastLine = 0
  let lastDone = -1
  let lastTotal = 0
  const render = (done: number, total: number): string => {
    const secs = (performance.now() - started) / 1000
    const rate = secs > 0 ? done / secs : 0
    const pct = total > 0 ? Math.min(100, (100 * done) / total) : 100
    const left = rate > 0 ? (total - done) / rate : Infinity
    return `${label}: ${done}/${total} (${pct.toFixed(0)}%) ${Math.round(rate)}/s ETA ${eta(left)}`
  }
  return {
    update(done, total) {
      lastDone = done
      lastTotal = total
      if (tty) {
        const width = 24
        const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : width
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${render(done, total)}\x1b[K`)
      } else {
        // At most one line a second, plus the last one.
        const now = performance.now()
        if (now - lastLine >= 1000 || done === total) {
          lastLine = now
          stream.write(`${render(done, total)}\n`)
        }
      }
    },
    finish() {
      if (tty) stream.write('\n')
      else if (lastDone >= 0 && lastDone !== lastTotal) stream.write(`${render(lastDone, lastTotal)}\n`)
    },
  }
}
