/* Executes one AVX2 instruction. Run under `qemu-x86_64 -cpu Nehalem` it must die with SIGILL:
 * that shows the emulator enforces the CPU model, so a suite that passes there has no unguarded
 * AVX/AVX2/AVX-512 instruction on its path. */
#include <immintrin.h>
#include <stdio.h>

/* volatile: the compiler must not fold the sum away at build time. */
static volatile int x = 20, y = 22;

__attribute__((target("avx2"), noinline)) static int sum_avx2(void) {
  __m256i a = _mm256_set1_epi32(x), b = _mm256_set1_epi32(y);
  __m256i c = _mm256_add_epi32(a, b); /* vpaddd ymm: AVX2 */
  return _mm256_extract_epi32(c, 3);
}

int main(void) {
  printf("%d\n", sum_avx2());
  return 0;
}
