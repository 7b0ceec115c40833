// The suites run under `qemu-x86_64 -cpu Nehalem` (see test/nehalem.test.mjs). Worker threads keep every
// test inside the emulated process: a child process would be exec'd natively, outside the emulator.
export default {
  files: ['test/nehalem/isa.check.mjs', 'test/memory.test.mjs', 'test/dgent.test.mjs'],
  workerThreads: true,
  concurrency: 1,
  timeout: '10m',
}
