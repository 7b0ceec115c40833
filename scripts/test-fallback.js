#!/usr/bin/env node
// `npm run test:platform` once more on the pure TypeScript core: VGENT_NATIVE=0 makes every store in
// those suites (Memory, D-gent over its own log and over a datum store, router, CLI) run without the
// native addon. A script rather than `VGENT_NATIVE=0 npm run …` so that it also works under cmd.exe.
'use strict'
const { spawnSync } = require('node:child_process')

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const run = spawnSync(npm, ['run', 'test:platform'], {
  stdio: 'inherit',
  env: { ...process.env, VGENT_NATIVE: '0' },
  shell: process.platform === 'win32',
})
if (run.error) throw run.error
process.exit(run.status ?? 1)
