/**
 * The `vgent` command line: the library's router and tiers driven from a shell.
 *   vgent status | import <file> | export | index <paths…> | search <text> | migrate --to <tier> | repair | compact
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { ErrorCode, VgentError } from '../errors'
import { checkNamespace, defaultDataDir, DgentVectorBackend } from '../backends/dgent'
import { repairStore } from '../dgent/repair'
import type { Embedder } from '../embedders/embedder'
import { HashEmbedder } from '../embedders/hash'
import { addTexts, searchText } from '../embedders/texts'
import { checkBackend, parseBackend, type VectorBackend } from '../router/backend'
import { VgentRouter } from '../router/router'
import type { BatchEntry, DistanceMetric, Metadata, SearchResult, VectorEntry } from '../types'
import { readImportFile } from './formats'
import { createProgress } from './progress'
import { readStoreInfo } from './store-info'

const USAGE = `usage: vgent <command> [options]

commands:
  status                          every tier: available or not and why, latency; the selected tier and its count
  import <file>                   load vectors from .jsonl ({"id","vector","metadata"}), .npy or .fvecs
  export [--out <file>]           write every entry as JSONL
  index <files or dirs…>          embed text files (one entry per paragraph) with --embedder
  search <text> | --vector <json> nearest entries (-k, --filter <json>, --threshold, --json)
  migrate --to <tier>             promote the store to another tier, with progress and verification
  repair                          salvage the intact records of a damaged D-gent store
  compact                         rewrite the D-gent store's log to its live entries

options:
  --backend <tier>      memory | dgent | postgres | qdrant (default: the router's choice)
  --namespace <name>    default "default"
  --data-dir <dir>      the D-gent store's directory (default $KGENTS_DATA_ROOT/vectors/<namespace>)
  --dimension <n>       the store's dimension (read from a D-gent store when omitted)
  --metric <m>          cosine | euclidean | dot_product | manhattan (default cosine)
  --embedder <e>        hash | openai | local (default hash)   --model <name>  --model-path <dir>
  -k, --limit <n>       results (default 10)      --json   machine-readable output
environment: KGENTS_VGENT_BACKEND, KGENTS_DATA_ROOT, KGENTS_POSTGRES_URL, KGENTS_QDRANT_URL, KGENTS_QDRANT_API_KEY`

const OPTIONS = {
  backend: { type: 'string' },
  namespace: { type: 'string' },
  'data-dir': { type: 'string' },
  dimension: { type: 'string' },
  metric: { type: 'string' },
  embedder: { type: 'string' },
  model: { type: 'string' },
  'model-path': { type: 'string' },
  limit: { type: 'string', short: 'k' },
  filter: { type: 'string' },
  threshold: { type: 'string' },
  vector: { type: 'string' },
  json: { type: 'boolean' },
  to: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

/** The CLI's hash embedder is wider than the library default (64) so that a small corpus has few collisions. */
const CLI_HASH_DIMENSION = 1024

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message)
}

function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer, got ${v}`)
  return n
}

function numberOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) usage(`--${name} must be a number, got ${v}`)
  return n
}

function jsonOption(v: string | undefined, name: string): unknown {
  if (v === undefined) return undefined
  try {
    return JSON.parse(v)
  } catch (e) {
    usage(`--${name} is not JSON: ${(e as Error).message}`)
  }
}

const out = (line: string): void => {
  process.stdout.write(line + '\n')
}

class Cli {
  readonly namespace: string
  readonly dataDir: string

  constructor(readonly v: Values) {
    this.namespace = checkNamespace(v.namespace)
    this.dataDir = path.resolve(v['data-dir'] ?? defaultDataDir(this.namespace))
    if (v.backend !== undefined) checkBackend(v.backend, '--backend')
  }

  /** The tier named by --backend, else by KGENTS_VGENT_BACKEND; null when the router chooses. */
  private namedTier(): VectorBackend | null {
    return parseBackend(this.v.backend ?? process.env.KGENTS_VGENT_BACKEND)
  }

  /** What the D-gent store here recorded, unless another tier is named (its store is not this one). */
  dgentInfo(): { dimension: number; metric: DistanceMetric } | null {
    const named = this.namedTier()
    return named === null || named === 'dgent' ? readStoreInfo(this.dataDir) : null
  }

  /** The metric for a new or existing store: --metric, else the D-gent store's, else cosine. */
  metric(): DistanceMetric {
    return (this.v.metric as DistanceMetric | undefined) ?? this.dgentInfo()?.metric ?? 'cosine'
  }

  /** The store's dimension and metric: options first, then what a D-gent store recorded. */
  shape(fallbackDimension?: number): { dimension: number; metric: DistanceMetric } | null {
    const info = this.dgentInfo()
    const dimension = intOption(this.v.dimension, 'dimension') ?? info?.dimension ?? fallbackDimension
    if (dimension === undefined) return null
    return { dimension, metric: (this.v.metric as DistanceMetric | undefined) ?? info?.metric ?? 'cosine' }
  }

  router(shape: { dimension: number; metric: DistanceMetric }): VgentRouter {
    return new VgentRouter({
      ...shape,
      namespace: this.namespace,
      dataDir: this.dataDir,
      backend: this.v.backend as never,
      logger: { info: () => {}, warn: (m) => process.stderr.write(`vgent: warning: ${m}\n`) },
    })
  }

  /** Whether the user chose the Memory tier (a store that lasts one command) rather than the router falling back to it. */
  private memoryChosen(): boolean {
    return this.namedTier() === 'memory'
  }

  /**
   * A router on its selected tier. It refuses a silent fallback to Memory: whatever a command wrote
   * there would vanish when it exits, and what it read would be an empty store (as when a D-gent store
   * of another dimension was skipped).
   */
  async open(shape: { dimension: number; metric: DistanceMetric }): Promise<VgentRouter> {
    const router = this.router(shape)
    try {
      await router.ready()
      if (router.selected === 'memory' && !this.memoryChosen()) {
        const skipped = (await router.status()).filter((s) => s.backend !== 'memory' && !s.available).map((s) => `${s.backend}: ${s.reason}`)
        throw new VgentError(
          ErrorCode.BACKEND_UNAVAILABLE,
          `no persistent tier can hold namespace ${this.namespace} (${skipped.join('; ')}); ` +
            'pass --backend memory for a store that lasts only this command',
        )
      }
      return router
    } catch (e) {
      await router.close()
      throw e
    }
  }

  /**
   * For commands that read a store: unless another tier is named, the store is the D-gent one, and it
   * must exist (opening it would create an empty one where a mistyped namespace or data dir leads).
   */
  requireExistingStore(): void {
    const named = this.namedTier()
    if (named !== null && named !== 'dgent') return
    if (!fs.existsSync(path.join(this.dataDir, 'data.log'))) {
      throw new VgentError(
        ErrorCode.INVALID_ARGUMENT,
        `no vector store in namespace ${this.namespace} (nothing at ${this.dataDir}): index or import into it first, or name the tier that holds it with --backend`,
      )
    }
  }

  requireShape(fallbackDimension?: number): { dimension: number; metric: DistanceMetric } {
    const s = this.shape(fallbackDimension)
    if (!s) usage(`cannot tell the store's dimension (no D-gent store at ${this.dataDir}); pass --dimension`)
    return s
  }

  async embedder(): Promise<Embedder> {
    const kind = this.v.embedder ?? 'hash'
    const dimension = intOption(this.v.dimension, 'dimension')
    switch (kind) {
      case 'hash':
        return new HashEmbedder({ dimension: dimension ?? this.dgentInfo()?.dimension ?? CLI_HASH_DIMENSION })
      case 'openai': {
        const { OpenAIEmbedder } = await import('../embedders/openai')
        return new OpenAIEmbedder({ model: this.v.model, dimensions: dimension })
      }
      case 'local': {
        const { LocalEmbedder } = await import('../embedders/local')
        return LocalEmbedder.load({ model: this.v.model, modelPath: this.v['model-path'], offline: this.v['model-path'] !== undefined })
      }
      default:
        usage(`--embedder must be hash, openai or local, got ${kind}`)
    }
  }
}

async function status(cli: Cli): Promise<void> {
  const shape = cli.shape()
  const router = cli.router(shape ?? { dimension: 1, metric: 'cosine' })
  try {
    let selected: string | null = null
    let count: number | null = null
    if (shape) {
      try {
        await router.ready()
        selected = router.selected
        count = await router.count()
      } catch (e) {
        selected = `none (${(e as Error).message})`
      }
    }
    const tiers = await router.status()
    if (cli.v.json) {
      out(JSON.stringify({ namespace: cli.namespace, dataDir: cli.dataDir, dimension: shape?.dimension ?? null, metric: shape?.metric ?? null, selected, count, tiers }))
      return
    }
    out(`namespace ${cli.namespace} · data dir ${cli.dataDir}${shape ? ` · dimension ${shape.dimension} · ${shape.metric}` : ''}`)
    for (const t of tiers) {
      const latency = t.latencyMs === null ? '' : ` (${t.latencyMs.toFixed(1)} ms)`
      out(`  ${t.available ? '✓' : '✗'} ${t.backend.padEnd(9)}${latency.padEnd(12)} ${t.reason}`)
    }
    out(shape ? `selected: ${selected}${count !== null ? ` · ${count} entries` : ''}` : 'selected: - (no store yet; pass --dimension to select one)')
  } finally {
    await router.close()
  }
}

async function importFile(cli: Cli, file: string | undefined): Promise<void> {
  if (!file) usage('import needs a file')
  const wanted = cli.shape()
  const metric = wanted?.metric ?? cli.metric()
  const data = readImportFile(file, wanted?.dimension, metric)
  const router = await cli.open({ dimension: data.dimension, metric })
  const progress = createProgress('import')
  const chunk = 5000
  // What each written id held before, so that a failure part-way can put everything back.
  const before: Previous[] = []
  let written = 0
  try {
    for (let at = 0; at < data.ids.length; at += chunk) {
      const ids = data.ids.slice(at, at + chunk)
      const prev = await Promise.all(ids.map((id) => router.get(id)))
      ids.forEach((id, i) => before.push({ id, entry: prev[i] }))
      await router.addBatch({ ids, vectors: data.vectors.subarray(at * data.dimension, (at + ids.length) * data.dimension), metadata: data.metadata.slice(at, at + chunk) })
      written += ids.length
      progress.update(written, data.ids.length)
    }
    progress.finish()
    out(`imported ${data.ids.length} vectors (dimension ${data.dimension}) into ${router.selected}`)
  } catch (e) {
    progress.finish()
    if (written === 0) throw e // each batch is atomic: the failed one left nothing
    const undoError = await undoImport(router, before)
    if (undoError === undefined) throw e
    const code = e instanceof VgentError ? e.code : ErrorCode.IO_ERROR
    throw new VgentError(
      code,
      `${(e as Error).message}; the import stopped after writing ${written} of ${data.ids.length} vectors from ${file}, and undoing them failed too ` +
        `(${(undoError as Error).message}): they may still be in the store (importing the file again replaces them)`,
      { cause: e },
    )
  } finally {
    await router.close()
  }
}

interface Previous {
  id: string
  entry: VectorEntry | null
}

/** Puts back what an import overwrote and removes what it added; resolves to the first failure, if any. */
async function undoImport(router: VgentRouter, before: Previous[]): Promise<unknown> {
  // Ids are unique within an import (the file's last line per id wins), so each is put back once.
  const restore: BatchEntry[] = []
  const remove: string[] = []
  for (const { id, entry } of before) {
    if (entry) restore.push({ id, vector: entry.embedding, metadata: entry.metadata })
    else remove.push(id)
  }
  try {
    for (let at = 0; at < restore.length; at += 5000) await router.addBatch(restore.slice(at, at + 5000))
    // Removes in groups: concurrent writes to a D-gent store share one fsync.
    for (let at = 0; at < remove.length; at += 512) await Promise.all(remove.slice(at, at + 512).map((id) => router.remove(id)))
    return undefined
  } catch (e) {
    return e
  }
}

async function exportEntries(cli: Cli): Promise<void> {
  cli.requireExistingStore()
  const router = await cli.open(cli.requireShape())
  const sink: NodeJS.WritableStream = cli.v.out ? fs.createWriteStream(cli.v.out) : process.stdout
  let n = 0
  try {
    for await (const b of router.exportEntries()) {
      const dim = router.dimension
      const lines = b.ids.map((id, i) => JSON.stringify({ id, vector: Array.from(b.vectors.subarray(i * dim, (i + 1) * dim)), metadata: b.metadata[i] }))
      if (!sink.write(lines.join('\n') + '\n')) await new Promise<void>((r) => sink.once('drain', () => r()))
      n += b.ids.length
    }
  } finally {
    await router.close()
    if (sink !== process.stdout) await new Promise<void>((r) => sink.end(() => r()))
  }
  if (cli.v.out) out(`exported ${n} entries to ${cli.v.out}`)
}

/** The files named, and the .txt/.md files under the directories named. */
function textFiles(paths: string[]): string[] {
  const files: string[] = []
  const walk = (p: string, named: boolean): void => {
    let st: fs.Stats
    try {
      st = fs.statSync(p)
    } catch {
      throw new VgentError(ErrorCode.IO_ERROR, `${p}: no such file or directory`)
    }
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name), false)
    else if (named || /\.(txt|md|markdown|text)$/i.test(p)) files.push(p)
  }
  paths.forEach((p) => walk(p, true))
  return files
}

async function index(cli: Cli, paths: string[]): Promise<void> {
  if (paths.length === 0) usage('index needs files or directories')
  const files = textFiles(paths)
  if (files.length === 0) usage(`no .txt or .md files under ${paths.join(', ')}`)
  const items: { id: string; text: string; metadata: Metadata }[] = []
  for (const file of files) {
    const rel = path.relative(process.cwd(), file)
    fs.readFileSync(file, 'utf8')
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .forEach((text, i) => items.push({ id: `${rel}#${i + 1}`, text, metadata: { path: rel, paragraph: i + 1 } }))
  }
  const embedder = await cli.embedder()
  const router = await cli.open({ dimension: embedder.dimension, metric: cli.metric() })
  const progress = createProgress('embed')
  try {
    await addTexts(router, embedder, items, { textKey: 'text', onProgress: (d, t) => progress.update(d, t) })
    progress.finish()
    out(`indexed ${items.length} paragraphs from ${files.length} files with ${embedder.source} into ${router.selected} (namespace ${cli.namespace})`)
  } finally {
    await router.close()
  }
}

async function search(cli: Cli, words: string[]): Promise<void> {
  const limit = intOption(cli.v.limit, 'limit') ?? 10
  const filter = jsonOption(cli.v.filter, 'filter') as never
  const threshold = numberOption(cli.v.threshold, 'threshold')
  const vector = jsonOption(cli.v.vector, 'vector')
  if (vector !== undefined && !Array.isArray(vector)) usage('--vector must be a JSON array of numbers')
  if (vector === undefined && words.length === 0) usage('search needs text or --vector <json>')
  cli.requireExistingStore()
  let results: SearchResult[]
  if (vector !== undefined) {
    const router = await cli.open(cli.requireShape((vector as number[]).length))
    try {
      results = await router.search(vector as number[], { limit, filter, threshold })
    } finally {
      await router.close()
    }
  } else {
    const embedder = await cli.embedder()
    const router = await cli.open({ dimension: embedder.dimension, metric: cli.metric() })
    try {
      results = await searchText(router, embedder, words.join(' '), { limit, filter, threshold })
    } finally {
      await router.close()
    }
  }
  if (cli.v.json) {
    out(JSON.stringify(results))
    return
  }
  if (results.length === 0) out('no results')
  results.forEach((r, i) => {
    const text = typeof r.metadata.text === 'string' ? ` ${r.metadata.text.replace(/\s+/g, ' ').slice(0, 80)}` : ''
    out(`${String(i + 1).padStart(3)}. ${r.similarity.toFixed(4)}  ${r.id}${text}`)
  })
}

async function migrate(cli: Cli): Promise<void> {
  if (!cli.v.to) usage('migrate needs --to <tier>')
  const to = checkBackend(cli.v.to, '--to')
  cli.requireExistingStore()
  const router = await cli.open(cli.requireShape())
  const progress = createProgress(`migrate → ${to}`)
  try {
    const report = await router.promote(to, { onProgress: (d, t) => progress.update(d, t) })
    progress.finish()
    if (cli.v.json) {
      out(JSON.stringify(report))
    } else {
      out(`migrated ${report.count} entries ${report.from} → ${report.to} in ${(report.durationMs / 1000).toFixed(1)} s; verified: count ${report.count}, checksum ${report.checksum}`)
      // The choice of tier is not stored anywhere: say how to use the copy (the source is left as it was).
      out(`the ${report.from} store is left as it was; use the copy with --backend ${report.to} (or KGENTS_VGENT_BACKEND=${report.to})`)
    }
  } finally {
    await router.close()
  }
}

async function repair(cli: Cli): Promise<void> {
  if (!fs.existsSync(path.join(cli.dataDir, 'data.log'))) usage(`no D-gent store at ${cli.dataDir}`)
  const r = await repairStore(cli.dataDir)
  const kept = r.droppedRegions > 0 ? 'the damaged file is kept as' : 'nothing was damaged; the previous file is kept as'
  out(cli.v.json ? JSON.stringify(r) : `repaired ${r.path}: kept ${r.keptRecords} records, dropped ${r.droppedRegions} damaged regions (${r.droppedBytes} bytes); ${kept} ${r.backup}`)
}

async function compact(cli: Cli): Promise<void> {
  const shape = readStoreInfo(cli.dataDir)
  if (!shape) usage(`no D-gent vector store at ${cli.dataDir}`)
  const file = path.join(cli.dataDir, 'data.log')
  const before = fs.statSync(file).size
  const store = await DgentVectorBackend.open({ ...shape, dataDir: cli.dataDir })
  try {
    await store.compact()
  } finally {
    await store.close()
  }
  out(`compacted ${cli.dataDir}: ${before} → ${fs.statSync(file).size} bytes`)
}

export async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    process.stderr.write(`vgent: ${(e as Error).message}\n${USAGE}\n`)
    return 2
  }
  const [command, ...rest] = parsed.positionals
  if (parsed.values.help || !command) {
    process.stdout.write(USAGE + '\n')
    return command || parsed.values.help ? 0 : 2
  }
  try {
    const cli = new Cli(parsed.values)
    switch (command) {
      case 'status':
        await status(cli)
        break
      case 'import':
        await importFile(cli, rest[0])
        break
      case 'export':
        await exportEntries(cli)
        break
      case 'index':
        await index(cli, rest)
        break
      case 'search':
        await search(cli, rest)
        break
      case 'migrate':
        await migrate(cli)
        break
      case 'repair':
        await repair(cli)
        break
      case 'compact':
        await compact(cli)
        break
      default:
        usage(`unknown command ${command}`)
    }
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vgent: ${e.message}\n`)
      return 2
    }
    const code = e instanceof VgentError ? `${e.code}: ` : ''
    process.stderr.write(`vgent: ${code}${(e as Error).message}\n`)
    return 1
  }
}
