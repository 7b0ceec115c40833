/** Reads a D-gent vector store's recorded dimension and metric from the first record of its log. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { DistanceMetric } from '../types'

const MAGIC = 'VGNTLOG\0'
const OP_INFO = 3

export function readStoreInfo(dataDir: string): { dimension: number; metric: DistanceMetric } | null {
  let fd: number
  try {
    fd = fs.openSync(path.join(dataDir, 'data.log'), 'r')
  } catch {
    return null
  }
  try {
    const head = Buffer.alloc(16 + 8 + 1 + 4 + 4096)
    const n = fs.readSync(fd, head, 0, head.length, 0)
    if (n < 29 || head.toString('latin1', 0, 8) !== MAGIC || head.readUInt32LE(12) !== 2) return null
    if (head[24] !== OP_INFO) return null
    const len = head.readUInt32LE(25)
    if (29 + len > n) return null
    const info = JSON.parse(head.toString('utf8', 29, 29 + len)) as { dimension: number; metric: DistanceMetric }
    return Number.isInteger(info.dimension) ? info : null
  } catch {
    return null
  } finally {
    fs.closeSync(fd)
  }
}
