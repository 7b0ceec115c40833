// Runs inside the emulated CPU: the core must have chosen the kernels that CPU can run.
import test from 'ava'
import { nativeInfo } from 'vgent'

test('nativeInfo reports the instruction set of the emulated CPU', (t) => {
  const expected = process.env.VGENT_EXPECT_ISA
  t.truthy(expected, 'VGENT_EXPECT_ISA must be set by test/nehalem.test.mjs')
  const info = nativeInfo()
  t.true(info.native, 'the native addon, not the TypeScript fallback')
  t.is(info.isa, expected)
  t.deepEqual(info.available, [expected])
})
