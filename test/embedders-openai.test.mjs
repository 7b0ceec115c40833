// OpenAIEmbedder: the real `openai` client against a local server on 127.0.0.1 that speaks the
// embeddings endpoint with the API's recorded shapes, errors, and injected faults.
import test from 'ava'
import OpenAI from 'openai'
import { OpenAIEmbedder, OPENAI_EMBEDDING_MODELS, VgentError } from 'vgent'
import { GOOD_KEY, fakeVector, startFakeOpenAI } from './embedders/fake-openai-server.mjs'

delete process.env.OPENAI_API_KEY
const fast = { retryBaseMs: 1, retryMaxMs: 20 }
// The fake server shares this process's event loop: tests with short client timeouts run serially
// (before the concurrent ones), so that no other test's work delays the server past the timeout.

async function withServer(t, opts, body) {
  const server = await startFakeOpenAI(opts)
  t.teardown(() => server.close())
  return body(server)
}

const sameFloats = (t, e, v) => t.deepEqual([...e.vector], [...v])

test('[openai] embeds through the real client: vectors, order, source, and what was sent', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url })
    t.is(emb.dimension, 1536)
    t.is(emb.source, 'openai/text-embedding-3-small')
    const one = await emb.embed('hello world')
    t.is(one.source, 'openai/text-embedding-3-small')
    sameFloats(t, one, fakeVector('text-embedding-3-small', 'hello world'))
    const texts = ['a', 'bb', 'ccc ünïcode 日本']
    const batch = await emb.embedBatch(texts)
    texts.forEach((x, i) => sameFloats(t, batch[i], fakeVector('text-embedding-3-small', x)))
    t.is(server.requests.length, 2)
    const sent = server.requests[1]
    t.is(sent.auth, `Bearer ${GOOD_KEY}`)
    t.deepEqual(sent.body.input, texts)
    t.is(sent.body.model, 'text-embedding-3-small')
    t.is(sent.body.encoding_format, 'base64')
    t.false('dimensions' in sent.body)
  }))

test('[openai] the order of returned items follows `index`, not the list order', (t) =>
  withServer(t, { reverseOrder: true }, async (server) => {
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url })
    const texts = ['first', 'second', 'third']
    const out = await emb.embedBatch(texts)
    texts.forEach((x, i) => sameFloats(t, out[i], fakeVector('text-embedding-3-small', x)))
  }))

test('[openai] servers that ignore encoding_format and send float arrays are decoded too', (t) =>
  withServer(t, { ignoreEncodingFormat: true }, async (server) => {
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url })
    sameFloats(t, await emb.embed('floats please'), fakeVector('text-embedding-3-small', 'floats please'))
  }))

test('[openai] known models and their dimensions; `dimensions` is passed through for v3 models only', (t) =>
  withServer(t, {}, async (server) => {
    t.deepEqual(
      Object.fromEntries(Object.entries(OPENAI_EMBEDDING_MODELS).map(([k, v]) => [k, v.dimension])),
      { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536 },
    )
    const large = new OpenAIEmbedder({ model: 'text-embedding-3-large', apiKey: GOOD_KEY, baseURL: server.url })
    t.is(large.dimension, 3072)
    t.is((await large.embed('x')).dimension, 3072)
    const short = new OpenAIEmbedder({ model: 'text-embedding-3-small', dimensions: 256, apiKey: GOOD_KEY, baseURL: server.url })
    t.is(short.dimension, 256)
    const e = await short.embed('shortened')
    t.is(server.requests.at(-1).body.dimensions, 256)
    sameFloats(t, e, fakeVector('text-embedding-3-small', 'shortened', 256))
    const ada = new OpenAIEmbedder({ model: 'text-embedding-ada-002', apiKey: GOOD_KEY, baseURL: server.url })
    t.is((await ada.embed('old')).dimension, 1536)
    t.false('dimensions' in server.requests.at(-1).body)
    t.is(ada.source, 'openai/text-embedding-ada-002')
  }))

test('[openai] bad configurations fail at construction with INVALID_ARGUMENT', (t) => {
  const base = { apiKey: GOOD_KEY, baseURL: 'http://127.0.0.1:9/v1' }
  t.throws(() => new OpenAIEmbedder({ ...base, model: 'text-embedding-ada-002', dimensions: 512 }), { code: 'INVALID_ARGUMENT', message: /only the text-embedding-3/ })
  t.throws(() => new OpenAIEmbedder({ ...base, model: 'text-embedding-3-small', dimensions: 4096 }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ ...base, dimensions: 0 }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ ...base, model: 'text-embedding-4-mega' }), { code: 'INVALID_ARGUMENT', message: /unknown embedding model.*pass dimensions/ })
  t.throws(() => new OpenAIEmbedder({ ...base, model: '' }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ ...base, baseURL: 'not a url' }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ ...base, maxBatchSize: 5000 }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ ...base, client: {} }), { code: 'INVALID_ARGUMENT' })
  t.throws(() => new OpenAIEmbedder({ apiKey: GOOD_KEY, client: new OpenAI({ apiKey: GOOD_KEY }) }), { code: 'INVALID_ARGUMENT' })
})

test('[openai] no API key anywhere: AUTH_FAILED naming OPENAI_API_KEY', (t) => {
  t.throws(() => new OpenAIEmbedder(), { instanceOf: VgentError, code: 'AUTH_FAILED', message: /OPENAI_API_KEY/ })
})

test('[openai] a rejected key: AUTH_FAILED saying to check OPENAI_API_KEY, and no retries', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ apiKey: 'sk-wrong-key-1234', baseURL: server.url, ...fast })
    const err = await t.throwsAsync(emb.embed('x'), { instanceOf: VgentError, code: 'AUTH_FAILED' })
    t.regex(err.message, /check OPENAI_API_KEY/)
    t.regex(err.message, /Incorrect API key provided/)
    t.is(server.requests.length, 1)
  }))

test('[openai] a model the server does not know: INVALID_ARGUMENT naming it, no retries', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ model: 'text-embedding-4-mega', dimensions: 8, apiKey: GOOD_KEY, baseURL: server.url, ...fast })
    const err = await t.throwsAsync(emb.embed('x'), { code: 'INVALID_ARGUMENT' })
    t.regex(err.message, /text-embedding-4-mega/)
    t.is(server.requests.length, 1)
  }))

test('[openai] an OpenAI-compatible server: baseURL, no key needed, any model with its dimensions', (t) =>
  withServer(t, {}, async (server) => {
    const client = new OpenAI({ apiKey: GOOD_KEY, baseURL: server.url })
    const emb = new OpenAIEmbedder({ model: 'nomic-embed-text', dimensions: 768, client, source: 'ollama/nomic-embed-text' })
    t.is(emb.source, 'ollama/nomic-embed-text')
    const e = await emb.embed('compatible')
    t.is(e.source, 'ollama/nomic-embed-text')
    sameFloats(t, e, fakeVector('nomic-embed-text', 'compatible'))
    t.false('dimensions' in server.requests[0].body)
    // Declared dimensions that the server does not deliver: DIMENSION_MISMATCH, not a silently wrong vector.
    const wrong = new OpenAIEmbedder({ model: 'nomic-embed-text', dimensions: 512, client })
    await t.throwsAsync(wrong.embed('x'), { code: 'DIMENSION_MISMATCH' })
    // Without a key, a baseURL server is still called (with a placeholder the server may ignore).
    const keyless = new OpenAIEmbedder({ baseURL: server.url, maxRetries: 0 })
    await t.throwsAsync(keyless.embed('x'), { code: 'AUTH_FAILED' })
    t.is(server.requests.at(-1).auth, 'Bearer no-key')
  }))

test('[openai] 429s are retried (honouring retry-after-ms) until the request goes through', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ status: 429, headers: { 'retry-after-ms': '5' }, body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } }, 3)
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, ...fast })
    sameFloats(t, await emb.embed('eventually'), fakeVector('text-embedding-3-small', 'eventually'))
    t.is(server.requests.length, 4)
  }))

test('[openai] 500s and 503s are retried with backoff; other requests are unaffected', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ status: 500 })
    server.inject({ status: 503 })
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, ...fast })
    const out = await emb.embedBatch(['p', 'q'])
    sameFloats(t, out[1], fakeVector('text-embedding-3-small', 'q'))
    t.is(server.requests.length, 3)
  }))

test('[openai] retries exhausted: BACKEND_UNAVAILABLE after exactly maxRetries + 1 attempts', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ status: 500 }, 10)
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, maxRetries: 2, ...fast })
    const err = await t.throwsAsync(emb.embed('x'), { code: 'BACKEND_UNAVAILABLE' })
    t.regex(err.message, /500.*after 2 retries/)
    t.is(server.requests.length, 3)
  }))

test('[openai] an exhausted quota (429 insufficient_quota) is not retried', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } }, 5)
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, ...fast })
    await t.throwsAsync(emb.embed('x'), { code: 'BACKEND_UNAVAILABLE', message: /quota/ })
    t.is(server.requests.length, 1)
  }))

test('[openai] a slow response within the timeout succeeds', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ delayMs: 300 })
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, timeoutMs: 10_000, ...fast })
    sameFloats(t, await emb.embed('slow'), fakeVector('text-embedding-3-small', 'slow'))
    t.is(server.requests.length, 1)
  }))

test.serial('[openai] a stalled server: each attempt times out, then BACKEND_UNAVAILABLE', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ delayMs: 30_000 }, 2)
    // 1 s, not less: on a loaded machine a shorter deadline can expire before the retry even reaches
    // the server, and the server's count of requests is what this test checks.
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, timeoutMs: 1000, maxRetries: 1, ...fast })
    const err = await t.throwsAsync(emb.embed('stall'), { code: 'BACKEND_UNAVAILABLE' })
    t.regex(err.message, /timed out after 1000 ms/)
    t.is(server.requests.length, 2)
  }))

test.serial('[openai] a timeout followed by a good answer is retried transparently', (t) =>
  withServer(t, {}, async (server) => {
    server.inject({ delayMs: 30_000 })
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url, timeoutMs: 150, ...fast })
    sameFloats(t, await emb.embed('second try'), fakeVector('text-embedding-3-small', 'second try'))
    t.is(server.requests.length, 2)
  }))

test('[openai] nothing listening: BACKEND_UNAVAILABLE', async (t) => {
  const server = await startFakeOpenAI()
  const url = server.url
  await server.close()
  const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: url, maxRetries: 1, ...fast })
  await t.throwsAsync(emb.embed('x'), { code: 'BACKEND_UNAVAILABLE', message: /could not be reached/ })
})

test('[openai] batching stays under 2048 inputs per request, in order, with progress', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ model: 'text-embedding-3-small', dimensions: 4, apiKey: GOOD_KEY, baseURL: server.url })
    const texts = Array.from({ length: 5000 }, (_, i) => `text number ${i}`)
    const progress = []
    const out = await emb.embedBatch(texts, { onProgress: (d, n) => progress.push([d, n]) })
    t.deepEqual(server.requests.map((r) => r.body.input.length), [2048, 2048, 904])
    t.deepEqual(progress, [[2048, 5000], [4096, 5000], [5000, 5000]])
    for (const i of [0, 2047, 2048, 4999]) sameFloats(t, out[i], fakeVector('text-embedding-3-small', texts[i], 4))
  }))

test('[openai] batching stays under the per-request size budget', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ dimensions: 4, apiKey: GOOD_KEY, baseURL: server.url })
    // 200 texts of 4000 bytes: 800 kB, well over one request's 300k-token budget.
    const texts = Array.from({ length: 200 }, (_, i) => `${i} `.padEnd(4000, 'word '))
    const out = await emb.embedBatch(texts)
    t.is(out.length, 200)
    t.true(server.requests.length >= 3)
    for (const r of server.requests) t.true(r.body.input.reduce((s, x) => s + Buffer.byteLength(x), 0) <= 300_000)
    t.deepEqual(server.requests.flatMap((r) => r.body.input), texts)
    const small = new OpenAIEmbedder({ dimensions: 4, apiKey: GOOD_KEY, baseURL: server.url, maxBatchBytes: 100 })
    const before = server.requests.length
    await small.embedBatch(Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(30, '.')))
    t.deepEqual(server.requests.slice(before).map((r) => r.body.input.length), [3, 3, 3, 1])
  }))

test('[openai] bad input never reaches the server', (t) =>
  withServer(t, {}, async (server) => {
    const emb = new OpenAIEmbedder({ apiKey: GOOD_KEY, baseURL: server.url })
    await t.throwsAsync(emb.embed(''), { code: 'INVALID_ARGUMENT', message: /empty/ })
    await t.throwsAsync(emb.embedBatch(['ok', '']), { code: 'INVALID_ARGUMENT', message: /texts\[1\]/ })
    await t.throwsAsync(emb.embed(null), { code: 'INVALID_ARGUMENT' })
    await t.throwsAsync(emb.embedBatch('x'), { code: 'INVALID_ARGUMENT' })
    t.deepEqual(await emb.embedBatch([]), [])
    t.is(server.requests.length, 0)
  }))
