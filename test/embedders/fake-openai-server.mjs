// A local HTTP server on 127.0.0.1 that speaks OpenAI's POST /v1/embeddings, with the response and
// error shapes the real API sends (recorded from it), so that tests run the real `openai` client.
// It records every request and can be told to fail (429, 500, ...) or stall the next requests.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'

export const GOOD_KEY = 'sk-test-good'

/** Native output length per model, as the real API has them; plus one model of a "compatible" server. */
const MODELS = {
  'text-embedding-3-small': { dimension: 1536, shortenable: true },
  'text-embedding-3-large': { dimension: 3072, shortenable: true },
  'text-embedding-ada-002': { dimension: 1536, shortenable: false },
  'nomic-embed-text': { dimension: 768, shortenable: false },
}

/** The vector the server returns for a text: pseudo-random from its SHA-256, unit length (like OpenAI's). */
export function fakeVector(model, text, dimension) {
  // v3 `dimensions`: the API shortens and renormalizes, so only the first `dimension` components matter.
  const n = dimension ?? MODELS[model].dimension
  const v = new Float64Array(n)
  let block = Buffer.alloc(0)
  for (let i = 0, counter = 0; i < n; i++) {
    if (i % 8 === 0) block = createHash('sha256').update(`${model}\u0000${text}\u0000${counter++}`).digest()
    v[i] = block.readInt32LE((i % 8) * 4) / 2 ** 31
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0))
  return Float32Array.from(v, (x) => x / norm)
}

const apiError = (status, message, type, code, param = null) => ({ status, body: { error: { message, type, param, code } } })

export async function startFakeOpenAI(opts = {}) {
  const requests = []
  const faults = [] // consumed one per request, in order
  const sockets = new Set()
  const timers = new Set()

  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      const auth = req.headers.authorization ?? ''
      let body
      try {
        body = JSON.parse(raw)
      } catch {
        body = undefined
      }
      const record = { method: req.method, url: req.url, auth, body }
      requests.push(record)
      const fault = faults.shift()
      const send = (status, payload, headers = {}) => {
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${requests.length}`, ...headers })
        res.end(JSON.stringify(payload))
      }
      const answer = () => {
        if (fault?.status) return send(fault.status, fault.body ?? { error: { message: 'injected', type: 'server_error', param: null, code: null } }, fault.headers)
        const r = respond(record, opts)
        send(r.status, r.body)
      }
      if (fault?.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t)
          answer()
        }, fault.delayMs)
        timers.add(t)
      } else answer()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    /** The next `times` requests get this instead of an answer: { status, body?, headers? } and/or { delayMs }. */
    inject(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault)
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function respond({ method, url, auth, body }, opts) {
  if (method !== 'POST' || url !== '/v1/embeddings') return apiError(404, `Invalid URL (${method} ${url})`, 'invalid_request_error', null)
  if (auth !== `Bearer ${GOOD_KEY}`) {
    const key = auth.replace(/^Bearer /, '')
    return apiError(
      401,
      `Incorrect API key provided: ${key.slice(0, 3)}*****${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      'invalid_api_key',
    )
  }
  if (!body || typeof body !== 'object') return apiError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null)
  const model = MODELS[body.model]
  if (!model) return apiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')
  const inputs = typeof body.input === 'string' ? [body.input] : body.input
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > 2048 || inputs.some((s) => typeof s !== 'string' || s.length === 0)) {
    return apiError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'invalid_request_error', null)
  }
  // The real limit is 300k tokens; a byte is a safe over-estimate of a token, so this is stricter.
  const bytes = inputs.reduce((s, t) => s + Buffer.byteLength(t), 0)
  if (bytes > 300_000) return apiError(400, `Requested ${bytes} tokens, max 300000 tokens per request`, 'invalid_request_error', 'max_tokens_per_request')
  if (body.dimensions !== undefined && (!model.shortenable || body.dimensions < 1 || body.dimensions > model.dimension)) {
    return apiError(400, 'This model does not support specifying dimensions.', 'invalid_request_error', null, 'dimensions')
  }
  const asBase64 = body.encoding_format === 'base64' && !opts.ignoreEncodingFormat
  const data = inputs.map((text, index) => {
    const v = fakeVector(body.model, text, body.dimensions)
    return { object: 'embedding', index, embedding: asBase64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v) }
  })
  // The API documents `index`; a server may list items in any order, so a client must use it.
  if (opts.reverseOrder) data.reverse()
  const tokens = Math.ceil(bytes / 4)
  return { status: 200, body: { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } } }
}
