// The declaration files a user's compiler loads (everything reachable from the package's `types`)
// must not import an optional peer dependency: without it installed, `skipLibCheck: false` would
// fail with TS2307. Walks the .d.ts import graph of a built dist/ and names each offending file with
// the chain that reaches it. Quick check after `npm run build:ts`; scripts/pack-smoke.sh proves the
// same with tsc on the packed package.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const pkg = require(path.join(root, 'package.json'))
const optional = new Set(Object.keys(pkg.peerDependenciesMeta ?? {}).filter((n) => pkg.peerDependenciesMeta[n].optional))
const entries = new Set([pkg.types, pkg.exports?.['.']?.types].filter(Boolean).map((t) => path.join(root, t)))

/** import/export ... from 'x', import('x'), import 'x', /// <reference types|path="x" />. */
const SPECIFIER = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]|\/\/\/\s*<reference\s+(types|path)\s*=\s*['"]([^'"]+)['"]/g

function resolveLocal(from, spec) {
  const base = path.resolve(path.dirname(from), spec)
  for (const f of [base, base.replace(/\.(c|m)?js$/, '.d.$1ts'), `${base}.d.ts`, path.join(base, 'index.d.ts')]) {
    if (f.endsWith('.ts') && fs.existsSync(f) && fs.statSync(f).isFile()) return f
  }
  return undefined
}

/** 'pg', 'pg/lib/x', '@qdrant/js-client-rest/x' -> the package name. */
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')

const parent = new Map()
const queue = [...entries]
entries.forEach((e) => parent.set(e, undefined))
const problems = []
while (queue.length > 0) {
  const file = queue.shift()
  const text = fs.readFileSync(file, 'utf8')
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[3]
    const isPath = m[2] === 'path' || spec.startsWith('.')
    if (isPath) {
      const next = resolveLocal(file, spec)
      if (!next) problems.push(`${path.relative(root, file)}: cannot resolve ${spec}`)
      else if (!parent.has(next)) {
        parent.set(next, file)
        queue.push(next)
      }
    } else if (optional.has(packageOf(spec))) {
      const chain = []
      for (let f = file; f; f = parent.get(f)) chain.unshift(path.relative(root, f))
      problems.push(`${chain.join(' -> ')} imports the optional peer '${spec}'`)
    }
  }
}
if (problems.length > 0) {
  console.error(`check-dts-peers: the public declaration files must not import optional peers (${[...optional].join(', ')}):`)
  for (const p of problems) console.error(`  ${p}`)
  process.exit(1)
}
console.log(`check-dts-peers: ${parent.size} declaration files reachable from ${[...entries].map((e) => path.relative(root, e)).join(', ')}; none imports an optional peer`)
