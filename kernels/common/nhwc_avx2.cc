// AVX2 Transpose (nhwc.h): 8 x 8 tiles of float and float16 and 4 x 4 of
// double transposed in registers, the edges one value at a time. The plain
// C++ reference is TransposePlain in nhwc.cc; both only move values, so they
// agree bit for bit. The AVX-512 level uses these too: the copies are bound
// by memory, not by vector width.
#include <immintrin.h>

#include <cstdint>

#include "common/half.h"

namespace ort_roi {
namespace {

// 16-bit values: interleave pairs, then pairs of pairs, then halves.
void Transpose8x16(const Half* x, int64_t stride, Half* out, int64_t out_stride) {
  __m128i a[8], b[8];
  for (int i = 0; i < 8; ++i) {
    a[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i * stride));
  }
  for (int i = 0; i < 8; i += 2) {
    b[i] = _mm_unpacklo_epi16(a[i], a[i + 1]);
    b[i + 1] = _mm_unpackhi_epi16(a[i], a[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    a[i] = _mm_unpacklo_epi32(b[i], b[i + 2]);
    a[i + 1] = _mm_unpackhi_epi32(b[i], b[i + 2]);
    a[i + 2] = _mm_unpacklo_epi32(b[i + 1], b[i + 3]);
    a[i + 3] = _mm_unpackhi_epi32(b[i + 1], b[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i * out_stride),
                     _mm_unpacklo_epi64(a[i], a[i + 4]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (2 * i + 1) * out_stride),
                     _mm_unpackhi_epi64(a[i], a[i + 4]));
  }
}

// Transpose8x8 (8 rows of 8 floats).
#include "common/transpose_avx2.h"

// Tile [8 rows `stride` apart, 8 columns] to [8 rows `out_stride` apart, 8].
void Transpose8(const float* x, int64_t stride, float* out, int64_t out_stride) {
  __m256 r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(x + i * stride);
  Transpose8x8(r);
  // Rows i and i + 4 one after the other, as Transpose8x8 makes them.
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * out_stride, r[i]);
    _mm256_storeu_ps(out + (i + 4) * out_stride, r[i + 4]);
  }
}

void Transpose4(const double* x, int64_t stride, double* out, int64_t out_stride) {
  __m256d r[4], t[4];
  for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(x + i * stride);
  t[0] = _mm256_unpacklo_pd(r[0], r[1]);
  t[1] = _mm256_unpackhi_pd(r[0], r[1]);
  t[2] = _mm256_unpacklo_pd(r[2], r[3]);
  t[3] = _mm256_unpackhi_pd(r[2], r[3]);
  _mm256_storeu_pd(out, _mm256_permute2f128_pd(t[0], t[2], 0x20));
  _mm256_storeu_pd(out + out_stride, _mm256_permute2f128_pd(t[1], t[3], 0x20));
  _mm256_storeu_pd(out + 2 * out_stride, _mm256_permute2f128_pd(t[0], t[2], 0x31));
  _mm256_storeu_pd(out + 3 * out_stride, _mm256_permute2f128_pd(t[1], t[3], 0x31));
}

// out[j * out_stride + i] = x[i * stride + j] in kTile x kTile tiles; what the
// tiles leave, one value at a time.
template <int kTile, typename T, typename Tile>
void TransposeTiled(const T* x, int64_t rows, int64_t stride, int64_t cols, T* out, int64_t out_stride,
                    Tile tile) {
  const int64_t i_tiles = rows / kTile * kTile, j_tiles = cols / kTile * kTile;
  for (int64_t i = 0; i < i_tiles; i += kTile) {
    for (int64_t j = 0; j < j_tiles; j += kTile) {
      tile(x + i * stride + j, stride, out + j * out_stride + i, out_stride);
    }
    for (int64_t j = j_tiles; j < cols; ++j) {
      for (int64_t k = i; k < i + kTile; ++k) out[j * out_stride + k] = x[k * stride + j];
    }
  }
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t k = i_tiles; k < rows; ++k) out[j * out_stride + k] = x[k * stride + j];
  }
}

}  // namespace

// Bytes one at a time up to a 32-byte boundary of dst and after the last
// whole 32 bytes; between them 32-byte non-temporal stores, then a fence, so
// that the stores are visible before whatever the caller signals next.
void CopyStreamingAvx2(const unsigned char* src, int64_t bytes, unsigned char* dst) {
  int64_t i = 0;
  const int64_t head = (32 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst) % 32)) % 32;
  for (; i < head && i < bytes; ++i) dst[i] = src[i];
  for (; i + 32 <= bytes; i += 32) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + i),
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i)));
  }
  for (; i < bytes; ++i) dst[i] = src[i];
  _mm_sfence();
}

void TransposeAvx2(const float* x, int64_t rows, int64_t stride, int64_t cols, float* out,
                   int64_t out_stride) {
  TransposeTiled<8>(x, rows, stride, cols, out, out_stride, Transpose8);
}

void TransposeAvx2(const double* x, int64_t rows, int64_t stride, int64_t cols, double* out,
                   int64_t out_stride) {
  TransposeTiled<4>(x, rows, stride, cols, out, out_stride, Transpose4);
}

void TransposeAvx2(const Half* x, int64_t rows, int64_t stride, int64_t cols, Half* out,
                   int64_t out_stride) {
  TransposeTiled<8>(x, rows, stride, cols, out, out_stride, Transpose8x16);
}

}  // namespace ort_roi
