#!/usr/bin/env node
'use strict'
// The `vgent` command: a thin launcher for the compiled CLI in dist/.
require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
