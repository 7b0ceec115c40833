// A child process that writes to a D-gent store under load and reports each acknowledged write on
// stdout (`ack <kind> <n>`), for the crash tests to SIGKILL at random moments and then audit.
//   node crash-writer.mjs vector|datum <dir> <firstBatch> [durability]
import { writeSync } from 'node:fs'
import { DgentVectorBackend, FileDgent } from 'vgent'
import { batchSize, datumBytes, vectorFor, DIM } from './crash-model.mjs'

const [mode, dir, first, durability = 'fsync'] = process.argv.slice(2)
const say = (line) => writeSync(1, line + '\n')

async function runVectors() {
  let store
  try {
    store = await DgentVectorBackend.open({ dimension: DIM, metric: 'euclidean', dataDir: dir, durability })
  } catch (e) {
    say(`error ${e.code}`)
    return
  }
  say('ready')
  let next = Number(first)
  // Several writers at once, so fsyncs are grouped and records interleave.
  const writer = async () => {
    for (;;) {
      const k = next++
      const n = batchSize(k)
      const vectors = new Float32Array(n * DIM)
      const ids = []
      for (let i = 0; i < n; i++) {
        ids.push(`${k}:${i}`)
        vectors.set(vectorFor(k, i), i * DIM)
      }
      try {
        await store.addBatch({ ids, vectors, metadata: ids.map((_, i) => ({ k, i })) })
      } catch (e) {
        say(`fail ${k} ${e.code}`)
        await store.close()
        process.exit(0)
      }
      say(`ack batch ${k}`)
      if (k % 5 === 0 && k >= 3) {
        await store.remove(`${k - 3}:0`)
        say(`ack remove ${k - 3}`)
      }
    }
  }
  await Promise.all([writer(), writer(), writer(), writer()])
}

async function runDatums() {
  const store = await FileDgent.open({ path: dir, durability })
  say('ready')
  let next = Number(first)
  const writer = async () => {
    for (;;) {
      const k = next++
      await store.put({ id: `d${k}`, content: datumBytes(k), createdAt: k, causalParent: k > 0 ? `d${k - 1}` : null, metadata: { k: String(k) } })
      say(`ack datum ${k}`)
    }
  }
  await Promise.all([writer(), writer(), writer()])
}

await (mode === 'vector' ? runVectors() : runDatums())
