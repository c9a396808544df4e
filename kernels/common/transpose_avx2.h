// The 8 x 8 float transpose in AVX2 registers, written once for the two
// channels-last copies: CopyTile (channels_last_pool_avx2.cc) and Transpose
// (nhwc_avx2.cc).
// Each of those files includes this one inside its anonymous namespace, so
// that each has a private copy (cpu_isa.h says why no inline function may be
// shared between files). Nothing here includes a header; the file includes
// <immintrin.h> before.
#pragma once

// Element j of r[i] to element i of r[j], for 8 rows of 8 floats.
void Transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
    t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
  }
  for (int j = 0; j < 8; j += 4) {
    u[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
    u[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xee);
    u[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
    u[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}
