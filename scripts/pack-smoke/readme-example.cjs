// Runs the `## Usage` example of the README that ships inside the installed package, exactly as a
// user would paste it, then checks its results against the outputs the README promises.
// Usage: node readme-example.cjs [native|fallback]
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const expect = process.argv[2] || 'native'
const readme = fs.readFileSync(path.join(path.dirname(require.resolve('vgent/package.json')), 'README.md'), 'utf8')
const usage = readme.slice(readme.indexOf('\n## Usage'))
const block = /```js\n([\s\S]*?)```/.exec(usage)
assert.ok(block, 'README.md (as shipped) has a ```js block under "## Usage"')

const AsyncFunction = (async () => {}).constructor
const run = new AsyncFunction('require', `${block[1]}\nreturn { hits, many }`)

run(require).then(({ hits, many }) => {
  assert.deepEqual(hits, [{ id: 'a', similarity: 1, distance: 0, metadata: { lang: 'en', tags: ['intro'], year: 2024 } }])
  assert.equal(many.length, 2)
  assert.deepEqual(many[0].map((h) => h.id).slice(0, 1), ['a'])
  assert.deepEqual(many[1].map((h) => h.id).slice(0, 1), ['b'])
  const info = require('vgent').nativeInfo()
  assert.equal(info.native, expect === 'native', `nativeInfo().native for the ${expect} core: ${JSON.stringify(info)}`)
  console.log(`README example: ok (${expect}; nativeInfo ${JSON.stringify(info)})`)
}).catch((e) => {
  console.error(e)
  process.exit(1)
})
