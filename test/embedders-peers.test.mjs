// The embedders' optional peer dependencies really are optional: in a process where openai and
// @huggingface/transformers cannot be resolved, vgent loads and the embedders that need them say what to install.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

test('[peers] without openai or @huggingface/transformers installed, vgent loads and their embedders say what to install', (t) => {
  const hook = fileURLToPath(new URL('./embedders/hide-peers.cjs', import.meta.url))
  const out = execFileSync(process.execPath, ['-r', hook, '-e', `
    const { HashEmbedder, OpenAIEmbedder, LocalEmbedder } = require('vgent')
    const report = (e) => ({ code: e.code, message: e.message })
    const result = { hash: new HashEmbedder().dimension }
    try { new OpenAIEmbedder({ apiKey: 'sk-x' }) } catch (e) { result.openai = report(e) }
    LocalEmbedder.load().then(() => console.log('loaded?'), (e) => {
      result.local = report(e)
      console.log(JSON.stringify(result))
    })
  `], { encoding: 'utf8' })
  const r = JSON.parse(out)
  t.is(r.hash, 64)
  t.is(r.openai.code, 'BACKEND_UNAVAILABLE')
  t.regex(r.openai.message, /npm install openai/)
  t.is(r.local.code, 'BACKEND_UNAVAILABLE')
  t.regex(r.local.message, /npm install @huggingface\/transformers/)
})
