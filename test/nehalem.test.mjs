// One x64 binary for every x64 CPU: the release addon is a baseline build that picks its SIMD kernels
// at run time. Here the conformance suites run again under Debian's qemu-user emulating a Nehalem
// (SSE4.2, no AVX), where any AVX instruction on their path would kill the process with SIGILL.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const qemu = spawnSync('qemu-x86_64', ['-version'], { encoding: 'utf8' })
const haveQemu = qemu.status === 0 && process.arch === 'x64' && process.platform === 'linux'

if (!haveQemu) {
  console.warn('\n*** SKIPPING the Nehalem (no-AVX) run: qemu-x86_64 is not installed (apt-get install qemu-user)\n')
  test.skip('conformance under qemu-x86_64 -cpu Nehalem', () => {})
} else {
  const emulate = (args, opts = {}) =>
    spawnSync('qemu-x86_64', ['-cpu', 'Nehalem', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...opts })

  test('the emulator enforces the CPU model: an AVX2 instruction dies with SIGILL under Nehalem', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vgent-avx2-probe-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const exe = join(dir, 'probe')
    const cc = spawnSync('cc', ['-O1', '-o', exe, join(root, 'test/nehalem/avx2-probe.c')], { encoding: 'utf8' })
    t.is(cc.status, 0, cc.stderr)
    const host = spawnSync(exe, { encoding: 'utf8' })
    t.is(host.stdout.trim(), '42', 'the host CPU runs AVX2')
    const emulated = emulate([exe])
    t.is(emulated.signal, 'SIGILL', `expected SIGILL, got status ${emulated.status} signal ${emulated.signal}`)
  })

  test('under Nehalem the addon loads, reports isa "sse", and the Memory and D-gent conformance suites pass', (t) => {
    const run = emulate([process.execPath, 'node_modules/ava/entrypoints/cli.mjs', '--config', 'test/nehalem/ava.config.mjs'], {
      env: { ...process.env, VGENT_EXPECT_ISA: 'sse', VGENT_ISA: '' },
      timeout: 15 * 60_000,
    })
    const out = `${run.stdout}\n${run.stderr}`
    t.is(run.signal, null, `killed by ${run.signal}:\n${out.slice(-4000)}`)
    t.is(run.status, 0, out.slice(-4000))
    const passed = Number(/(\d+) tests? passed/.exec(out)?.[1] ?? 0)
    t.true(passed > 200, `only ${passed} tests ran:\n${out.slice(-2000)}`)
    t.notRegex(out, /\d+ tests? (failed|skipped)|todo/)
    t.regex(out, /✔ .*nativeInfo reports the instruction set of the emulated CPU/)
  })
}
