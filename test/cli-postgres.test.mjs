// The `vgent` command with a real PostgreSQL + pgvector (its own instance, started and stopped by
// scripts/postgres-test.sh) named by KGENTS_POSTGRES_URL: a D-gent store under --data-dir migrated
// to Postgres, then used there with --backend, and the tier reported down once the server stops.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TestServer } from './postgres/server.mjs'
import { unavailable } from './embedders/skip.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(repo, 'bin', 'vgent.js')
const root = mkdtempSync(join(tmpdir(), 'vgent-cli-pg-'))
const freePort = Number(
  spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).stdout.trim(),
)
const server = new TestServer({ port: freePort, root: join(tmpdir(), `vgent-pg-cli-${process.pid}`) })
const error = server.startSync()

function vgent(args) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: repo,
    encoding: 'utf8',
    // No KGENTS_DATA_ROOT: --data-dir alone must decide where the D-gent store is.
    env: { ...process.env, KGENTS_DATA_ROOT: join(root, 'unused'), KGENTS_VGENT_BACKEND: '', KGENTS_POSTGRES_URL: server.url, KGENTS_QDRANT_URL: '' },
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

if (error) {
  unavailable(test, 'vgent with PostgreSQL', `no PostgreSQL: ${error} (run: sudo scripts/postgres-test.sh install)`)
} else {
  test.after.always(async () => {
    await server.destroy().catch(() => {})
    rmSync(root, { recursive: true, force: true })
  })

  test.serial('migrate --to postgres from a --data-dir store, then search and export it with --backend; the server down is reported', (t) => {
    const dataDir = join(root, 'store')
    const namespace = `cli_${process.pid}`
    const file = join(root, 'in.jsonl')
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `v${i}`, vector: [i + 1, i % 7, 1], metadata: { i } })).join('\n'))
    const common = ['--namespace', namespace]
    const imp = vgent(['import', file, '--data-dir', dataDir, ...common])
    t.is(imp.code, 0, imp.err)
    t.regex(imp.out, /imported 300 vectors \(dimension 3\) into dgent/)

    const m = vgent(['migrate', '--to', 'postgres', '--data-dir', dataDir, ...common])
    t.is(m.code, 0, m.err)
    t.regex(m.out, /migrated 300 entries dgent → postgres .*verified: count 300, checksum [0-9a-f]{64}/)
    t.regex(m.out, /--backend postgres/)

    const hits = JSON.parse(vgent(['search', '--vector', '[1,0,1]', '-k', '2', '--json', '--backend', 'Postgres', ...common]).out)
    t.deepEqual(hits.map((h) => h.id), ['v0', 'v1']) // cosine: [1,0,1] itself, then [2,1,1]
    t.deepEqual(hits[0].metadata, { i: 0 })
    const exported = vgent(['export', '--backend', 'postgres', '--dimension', '3', ...common]).out.trim().split('\n')
    t.is(exported.length, 300)
    const status = JSON.parse(vgent(['status', '--backend', 'postgres', '--dimension', '3', '--json', ...common]).out)
    t.is(status.selected, 'postgres')
    t.is(status.count, 300)
    t.regex(status.tiers.find((x) => x.backend === 'postgres').reason, /pgvector/)

    spawnSync('bash', [join(repo, 'scripts', 'postgres-test.sh'), 'stop'], { env: server.env })
    const down = JSON.parse(vgent(['status', '--json', '--data-dir', dataDir, ...common]).out)
    t.is(down.selected, 'dgent')
    t.is(down.count, 300) // the source was left as it was
    t.false(down.tiers.find((x) => x.backend === 'postgres').available)
    const s = vgent(['search', '--vector', '[1,0,1]', '--backend', 'postgres', ...common])
    t.is(s.code, 1)
    t.regex(s.err, /BACKEND_UNAVAILABLE/)
  })
}
