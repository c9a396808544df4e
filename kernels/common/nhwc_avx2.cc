// AVX2 rows of ToChannelsLast (nhwc.h) for 4- and 8-byte elements: 8 x 8
// (float) and 4 x 4 (double) tiles transposed in registers, the edges one
// value at a time. The plain C++ reference is RowToChannelsLast in nhwc.cc;
// both only move values, so they agree bit for bit. The AVX-512 level uses
// these too: the copy is bound by memory, not by vector width.
#include <immintrin.h>

#include <cstdint>

namespace ort_roi {
namespace {

void Transpose8(const float* x, int64_t plane, float* out, int64_t channels) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(x + i * plane);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * channels, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * channels, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

void Transpose4(const double* x, int64_t plane, double* out, int64_t channels) {
  __m256d r[4], t[4];
  for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(x + i * plane);
  t[0] = _mm256_unpacklo_pd(r[0], r[1]);
  t[1] = _mm256_unpackhi_pd(r[0], r[1]);
  t[2] = _mm256_unpacklo_pd(r[2], r[3]);
  t[3] = _mm256_unpackhi_pd(r[2], r[3]);
  _mm256_storeu_pd(out, _mm256_permute2f128_pd(t[0], t[2], 0x20));
  _mm256_storeu_pd(out + channels, _mm256_permute2f128_pd(t[1], t[3], 0x20));
  _mm256_storeu_pd(out + 2 * channels, _mm256_permute2f128_pd(t[0], t[2], 0x31));
  _mm256_storeu_pd(out + 3 * channels, _mm256_permute2f128_pd(t[1], t[3], 0x31));
}

// One row of `channels` planes (`plane` apart) to [width, channels], in
// kTile x kTile tiles; what the tiles leave, one value at a time.
template <int kTile, typename T, typename Tile>
void Row(const T* x, int64_t channels, int64_t plane, int64_t width, T* out, Tile tile) {
  const int64_t c_tiles = channels / kTile * kTile, w_tiles = width / kTile * kTile;
  for (int64_t c = 0; c < c_tiles; c += kTile) {
    for (int64_t w = 0; w < w_tiles; w += kTile) tile(x + c * plane + w, plane, out + w * channels + c, channels);
    for (int64_t w = w_tiles; w < width; ++w) {
      for (int64_t i = c; i < c + kTile; ++i) out[w * channels + i] = x[i * plane + w];
    }
  }
  for (int64_t w = 0; w < width; ++w) {
    for (int64_t i = c_tiles; i < channels; ++i) out[w * channels + i] = x[i * plane + w];
  }
}

}  // namespace

void RowToChannelsLastAvx2(const float* x, int64_t channels, int64_t plane, int64_t width,
                           float* out) {
  Row<8>(x, channels, plane, width, out, Transpose8);
}

void RowToChannelsLastAvx2(const double* x, int64_t channels, int64_t plane, int64_t width,
                           double* out) {
  Row<4>(x, channels, plane, width, out, Transpose4);
}

}  // namespace ort_roi
