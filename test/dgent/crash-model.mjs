// The deterministic content the crash writer writes, so the audit can check it byte for byte.
export const DIM = 16

export function batchSize(k) {
  return 1 + ((k * 7919) % 40)
}

export function vectorFor(k, i) {
  const v = new Float32Array(DIM)
  for (let j = 0; j < DIM; j++) v[j] = Math.fround(Math.sin(k * 131 + i * 17 + j) * 1000)
  return v
}

export function datumBytes(k) {
  const b = new Uint8Array(1 + (k % 300))
  for (let i = 0; i < b.length; i++) b[i] = (k * 31 + i) & 0xff
  return b
}
