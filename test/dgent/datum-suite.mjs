// Behaviour every DgentProtocol implementation of vgent shares (MemoryDgent, FileDgent).
import { VgentError } from 'vgent'

const bytes = (s) => new TextEncoder().encode(s)
const datum = (id, createdAt, extra = {}) => ({ id, content: bytes(`content of ${id}`), createdAt, causalParent: null, metadata: {}, ...extra })
const ids = (list) => list.map((d) => d.id)

async function rejectsCode(t, promise, code) {
  const e = await t.throwsAsync(promise, { instanceOf: VgentError })
  t.is(e.code, code, e.message)
}

export function runDatumSuite(test, { name, create }) {
  const it = (title, fn) =>
    test(`[${name}] ${title}`, async (t) => {
      const store = await create()
      t.teardown(() => store.close())
      await fn(t, store)
    })

  it('put then get returns the same datum, byte for byte, with Unicode ids and metadata', async (t, s) => {
    const d = {
      id: 'ünï:键:🔑',
      content: new Uint8Array([0, 255, 1, 254, 0]),
      createdAt: 1700000000123.5,
      causalParent: 'parent-😀',
      metadata: { 'clé': 'välue', empty: '', z: '1', a: '2' },
    }
    t.is(await s.put(d), d.id)
    const got = await s.get(d.id)
    t.deepEqual(got, d)
    t.true(got.content instanceof Uint8Array)
    t.deepEqual(Object.keys(got.metadata), ['clé', 'empty', 'z', 'a']) // insertion order kept
    t.is(await s.get('missing'), null)
  })

  it('put is an upsert; returned content and metadata are copies', async (t, s) => {
    await s.put(datum('a', 1, { metadata: { v: '1' } }))
    await s.put(datum('a', 2, { content: bytes('new'), metadata: { v: '2' } }))
    t.is(await s.count(), 1)
    const got = await s.get('a')
    t.deepEqual(got.metadata, { v: '2' })
    t.deepEqual(Buffer.from(got.content).toString(), 'new')
    got.content[0] = 0
    got.metadata.v = 'mutated'
    const again = await s.get('a')
    t.is(Buffer.from(again.content).toString(), 'new')
    t.is(again.metadata.v, '2')
  })

  it('delete, exists and count', async (t, s) => {
    await s.put(datum('a', 1))
    await s.put(datum('b', 2))
    t.true(await s.exists('a'))
    t.true(await s.delete('a'))
    t.false(await s.delete('a'))
    t.false(await s.exists('a'))
    t.is(await s.count(), 1)
    await s.put(datum('a', 3)) // re-added after delete
    t.is(await s.count(), 2)
  })

  it('list is newest first, prefix is literal, after is exclusive, limit defaults to 100', async (t, s) => {
    for (let i = 0; i < 150; i++) await s.put(datum(`n:${String(i).padStart(3, '0')}`, 1000 + i))
    await s.put(datum('n.*', 5000))
    await s.put(datum('nx', 6000))
    const all = await s.list()
    t.is(all.length, 100)
    t.is(all[0].id, 'nx')
    t.is(all[1].id, 'n.*')
    t.is(all[2].id, 'n:149')
    t.deepEqual(ids(await s.list({ prefix: 'n.' })), ['n.*'])
    t.deepEqual(ids(await s.list({ prefix: 'n:', limit: 3 })), ['n:149', 'n:148', 'n:147'])
    t.deepEqual(ids(await s.list({ prefix: 'n:', after: 1147 })), ['n:149', 'n:148'])
    t.is((await s.list({ prefix: 'n:', limit: 1000 })).length, 150)
    t.deepEqual(await s.list({ prefix: 'zzz' }), [])
  })

  it('equal timestamps list the later write first', async (t, s) => {
    await s.put(datum('first', 7))
    await s.put(datum('second', 7))
    await s.put(datum('third', 7))
    t.deepEqual(ids(await s.list()), ['third', 'second', 'first'])
    await s.put(datum('first', 7)) // rewritten: now the newest
    t.deepEqual(ids(await s.list()), ['first', 'third', 'second'])
  })

  it('causalChain: oldest first, ends at id, stops at a missing parent, survives cycles', async (t, s) => {
    await s.put(datum('root', 1, { causalParent: 'never-written' }))
    await s.put(datum('mid', 2, { causalParent: 'root' }))
    await s.put(datum('leaf', 3, { causalParent: 'mid' }))
    await s.put(datum('x', 4, { causalParent: 'y' }))
    await s.put(datum('y', 5, { causalParent: 'x' }))
    t.deepEqual(ids(await s.causalChain('leaf')), ['root', 'mid', 'leaf'])
    t.deepEqual(ids(await s.causalChain('root')), ['root'])
    t.deepEqual(ids(await s.causalChain('x')), ['y', 'x'])
    t.deepEqual(await s.causalChain('missing'), [])
    await s.delete('mid')
    t.deepEqual(ids(await s.causalChain('leaf')), ['leaf'])
  })

  it('bad input is a typed error and changes nothing', async (t, s) => {
    await s.put(datum('keep', 1))
    await rejectsCode(t, s.put(datum('', 1)), 'INVALID_ID')
    await rejectsCode(t, s.put(datum('x'.repeat(2049), 1)), 'INVALID_ID')
    t.is(await s.put(datum('y'.repeat(2048), 1)), 'y'.repeat(2048))
    await s.delete('y'.repeat(2048))
    await rejectsCode(t, s.put({ ...datum('a', 1), content: 'not bytes' }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.put(datum('a', Number.NaN)), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.put(datum('a', Infinity)), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.put({ ...datum('a', 1), metadata: { n: 5 } }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.put({ ...datum('a', 1), causalParent: '' }), 'INVALID_ID')
    await rejectsCode(t, s.put(null), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.list({ limit: 0 }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.list({ limit: 1.5 }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.list({ after: Number.NaN }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.list({ prefix: 3 }), 'INVALID_ARGUMENT')
    await rejectsCode(t, s.get(''), 'INVALID_ID')
    t.is(await s.count(), 1)
    t.deepEqual(ids(await s.list()), ['keep'])
  })

  it('every call after close() is CLOSED; close is idempotent', async (t, s) => {
    await s.put(datum('a', 1))
    await s.close()
    await s.close()
    await rejectsCode(t, s.get('a'), 'CLOSED')
    await rejectsCode(t, s.put(datum('b', 1)), 'CLOSED')
    await rejectsCode(t, s.list(), 'CLOSED')
    await rejectsCode(t, s.count(), 'CLOSED')
  })

  it('createdAt defaults to now when omitted', async (t, s) => {
    const before = Date.now()
    await s.put({ id: 'now', content: bytes('x') })
    const d = await s.get('now')
    t.true(d.createdAt >= before && d.createdAt <= Date.now())
    t.is(d.causalParent, null)
    t.deepEqual(d.metadata, {})
  })
}
