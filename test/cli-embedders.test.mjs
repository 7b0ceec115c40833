// `vgent index` / `vgent search` with the semantic embedders, as spawned processes: --embedder openai
// against the local fake of the embeddings endpoint (the real `openai` client, configured by the
// environment as a user would: OPENAI_API_KEY, OPENAI_BASE_URL), and --embedder local on the real
// all-MiniLM-L6-v2 from disk (--model-path).
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GOOD_KEY, startFakeOpenAI } from './embedders/fake-openai-server.mjs'
import { localModelPath } from './embedders/local-model.mjs'
import { unavailable } from './embedders/skip.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(repo, 'bin', 'vgent.js')
const root = mkdtempSync(join(tmpdir(), 'vgent-cli-embedders-'))
test.after.always(() => rmSync(root, { recursive: true, force: true }))
let serial = 0
const freshRoot = () => join(root, `r${serial++}`)

/** Spawns the CLI without blocking this process's event loop (the fake server lives in it). */
function vgent(args, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, KGENTS_VGENT_BACKEND: '', KGENTS_POSTGRES_URL: '', KGENTS_QDRANT_URL: '', ...env } }, (error, out, err) =>
      resolve({ code: error ? error.code : 0, out, err }),
    )
  })
}

test('--embedder openai: indexes and searches through the embeddings endpoint; a bad key is AUTH_FAILED, exit 1', async (t) => {
  const server = await startFakeOpenAI()
  t.teardown(() => server.close())
  const env = { KGENTS_DATA_ROOT: freshRoot(), OPENAI_API_KEY: GOOD_KEY, OPENAI_BASE_URL: server.url }
  const idx = await vgent(['index', 'corpus/coffee.md', 'corpus/sailing.md', '--embedder', 'openai', '--dimension', '256'], env)
  t.is(idx.code, 0, idx.err)
  t.regex(idx.out, /with openai\/text-embedding-3-small into dgent/)
  t.is(server.requests[0].body.dimensions, 256)
  t.true(server.requests[0].body.input.length > 1, 'one request for the batch')
  // The fake's vectors are pseudo-random per text: searching with a paragraph's exact text finds it.
  const exported = JSON.parse((await vgent(['export'], env)).out.trim().split('\n')[0])
  const hits = JSON.parse((await vgent(['search', exported.metadata.text, '--embedder', 'openai', '--dimension', '256', '-k', '1', '--json'], env)).out)
  t.is(hits[0].id, exported.id)
  const bad = await vgent(['search', 'anything', '--embedder', 'openai', '--dimension', '256'], { ...env, OPENAI_API_KEY: 'sk-wrong' })
  t.is(bad.code, 1)
  t.regex(bad.err, /AUTH_FAILED: .*OPENAI_API_KEY/)
  const none = await vgent(['search', 'anything', '--embedder', 'openai'], { ...env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' })
  t.is(none.code, 1)
  t.regex(none.err, /AUTH_FAILED: no OpenAI API key/)
})

const model = localModelPath()
if (!model.path) {
  unavailable(test, '--embedder local on a real all-MiniLM-L6-v2', model.reason)
} else {
  test('--embedder local --model-path: semantic search from the shell, offline; another embedder is refused', async (t) => {
    const env = { KGENTS_DATA_ROOT: freshRoot() }
    const local = ['--embedder', 'local', '--model-path', model.path]
    const idx = await vgent(['index', 'corpus', ...local], env)
    t.is(idx.code, 0, idx.err)
    t.regex(idx.out, /indexed 30 paragraphs from 10 files with local\/all-MiniLM-L6-v2 into dgent/)
    // No word in common with the paragraph it should find.
    const hits = JSON.parse((await vgent(['search', 'what goes into homemade sourdough', ...local, '-k', '1', '--json'], env)).out)
    t.is(hits[0].metadata.path, 'corpus/baking.md')
    const hash = await vgent(['search', 'what goes into homemade sourdough'], env)
    t.is(hash.code, 1)
    t.regex(hash.err, /EMBEDDER_MISMATCH: .*local\/all-MiniLM-L6-v2.*local\/hash/)
  })
}
