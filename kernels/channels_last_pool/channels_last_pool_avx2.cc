// AVX2 bin kernels of channels_last_pool.h: 8 float lanes (float16 is
// widened to float on load with F16C, as Load<float> does), 4 double lanes,
// masked loads for the last channels. Per lane, the same operations in the
// same order as the plain kernels in channels_last_pool_cpu.cc. Built with
// -mavx2 -mfma -mf16c; see common/cpu_isa.h for what this file may use.
#include <immintrin.h>

#include <cfloat>
#include <cstdint>

#include "channels_last_pool/channels_last_pool.h"

namespace ort_roi {
namespace {

template <typename T>
struct Vec;

// Lanes to load: all of them, or the first n through a lane mask.
struct Lanes {
  int64_t n;
  __m256i mask;
};

Lanes LaneMask(int64_t n, int64_t lanes, int64_t lane_words) {
  // Lane i (of lane_words 32-bit words) is on when i < n.
  alignas(32) int32_t m[8];
  for (int64_t i = 0; i < 8; ++i) m[i] = i / lane_words < n ? -1 : 0;
  return Lanes{n < lanes ? n : lanes, _mm256_load_si256(reinterpret_cast<const __m256i*>(m))};
}

template <>
struct Vec<float> {
  using V = __m256;
  using M = Lanes;
  static constexpr int64_t kLanes = 8;
  static M Mask(int64_t n) { return LaneMask(n, 8, 1); }
  static V Load(const M& m, const float* p) {
    return m.n == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m.mask);
  }
  static V Set(float a) { return _mm256_set1_ps(a); }
  static V LoadAll(const float* p) { return _mm256_loadu_ps(p); }
  static void StoreAll(V v, float* p) { _mm256_storeu_ps(p, v); }
  // Keeps `best` unless v > best: torchvision's `if (v > best) best = v`.
  static V Max(V v, V best) { return _mm256_max_ps(v, best); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
  static void Store(V v, int64_t n, float* out, int64_t stride) {
    if (stride == 1 && n == 8) return _mm256_storeu_ps(out, v);
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

template <>
struct Vec<Half> : Vec<float> {
  static V Load(const M& m, const Half* p) {
    if (m.n == 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    alignas(16) uint16_t t[8] = {};
    for (int64_t i = 0; i < m.n; ++i) t[i] = p[i].bits;
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
  }
  static void Store(V v, int64_t n, Half* out, int64_t stride) {
    __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // FloatToHalf writes every NaN as sign | 0x7e00; the instruction keeps
    // payload bits.
    const __m128i quiet =
        _mm_or_si128(_mm_and_si128(h, _mm_set1_epi16(-0x8000)), _mm_set1_epi16(0x7e00));
    const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    const __m128i nan16 = _mm_packs_epi32(_mm_castps_si128(_mm256_castps256_ps128(nan)),
                                          _mm_castps_si128(_mm256_extractf128_ps(nan, 1)));
    h = _mm_blendv_epi8(h, quiet, nan16);
    if (stride == 1 && n == 8) return _mm_storeu_si128(reinterpret_cast<__m128i*>(out), h);
    alignas(16) uint16_t t[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), h);
    for (int64_t i = 0; i < n; ++i) out[i * stride].bits = t[i];
  }
};

template <>
struct Vec<double> {
  using V = __m256d;
  using M = Lanes;
  static constexpr int64_t kLanes = 4;
  static M Mask(int64_t n) { return LaneMask(n, 4, 2); }
  static V Load(const M& m, const double* p) {
    return m.n == 4 ? _mm256_loadu_pd(p) : _mm256_maskload_pd(p, m.mask);
  }
  static V Set(double a) { return _mm256_set1_pd(a); }
  static V LoadAll(const double* p) { return _mm256_loadu_pd(p); }
  static void StoreAll(V v, double* p) { _mm256_storeu_pd(p, v); }
  static V Max(V v, V best) { return _mm256_max_pd(v, best); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm256_div_pd(a, b); }
  static void Store(V v, int64_t n, double* out, int64_t stride) {
    if (stride == 1 && n == 4) return _mm256_storeu_pd(out, v);
    alignas(32) double t[4];
    _mm256_store_pd(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

// The bodies, written against Vec<T> above.
#include "channels_last_pool/channels_last_pool_simd.h"

// Transpose8x8: pixel i of channels r[0..7] into r[i], 8 pixels of 8 floats.
#include "common/transpose_avx2.h"

void CopyFloats(const CopyTile<float>& t) {
  int64_t p = 0;
  for (; p + 8 <= t.pixels; p += 8) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(t.planes[j] + p);
    Transpose8x8(r);
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(t.dst + (p + i) * t.dst_stride, r[i]);
  }
  for (; p < t.pixels; ++p) {
    for (int j = 0; j < 8; ++j) t.dst[p * t.dst_stride + j] = t.planes[j][p];
  }
}

// The same for 16-bit values, in 128-bit registers.
void CopyHalves(const CopyTile<Half>& t) {
  int64_t p = 0;
  for (; p + 8 <= t.pixels; p += 8) {
    __m128i r[8];
    for (int j = 0; j < 8; ++j) {
      r[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.planes[j] + p));
    }
    __m128i a[8], b[8];
    for (int j = 0; j < 8; j += 2) {  // pairs of channels, pixels 0-3 and 4-7
      a[j] = _mm_unpacklo_epi16(r[j], r[j + 1]);
      a[j + 1] = _mm_unpackhi_epi16(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {  // fours of channels, pixels 0-1, 2-3, 4-5, 6-7
      b[j] = _mm_unpacklo_epi32(a[j], a[j + 2]);
      b[j + 1] = _mm_unpackhi_epi32(a[j], a[j + 2]);
      b[j + 2] = _mm_unpacklo_epi32(a[j + 1], a[j + 3]);
      b[j + 3] = _mm_unpackhi_epi32(a[j + 1], a[j + 3]);
    }
    for (int i = 0; i < 4; ++i) {  // b[i]: channels 0-3 of pixels 2i, 2i+1; b[i + 4]: 4-7
      __m128i* d0 = reinterpret_cast<__m128i*>(t.dst + (p + 2 * i) * t.dst_stride);
      __m128i* d1 = reinterpret_cast<__m128i*>(t.dst + (p + 2 * i + 1) * t.dst_stride);
      _mm_storeu_si128(d0, _mm_unpacklo_epi64(b[i], b[i + 4]));
      _mm_storeu_si128(d1, _mm_unpackhi_epi64(b[i], b[i + 4]));
    }
  }
  for (; p < t.pixels; ++p) {
    for (int j = 0; j < 8; ++j) t.dst[p * t.dst_stride + j] = t.planes[j][p];
  }
}

}  // namespace

void CopyTileAvx2(const CopyTile<float>& t) { CopyFloats(t); }
void CopyTileAvx2(const CopyTile<Half>& t) { CopyHalves(t); }

void MaxBinAvx2(const PoolBin<float>& b) { MaxAll(b); }
void MaxBinAvx2(const PoolBin<double>& b) { MaxAll(b); }
void MaxBinAvx2(const PoolBin<Half>& b) { MaxAll(b); }
void MeanBinAvx2(const PoolBin<float>& b) { MeanAll(b); }
void MeanBinAvx2(const PoolBin<double>& b) { MeanAll(b); }
void MeanBinAvx2(const PoolBin<Half>& b) { MeanAll(b); }
void WeightedBinAvx2(const WeightedBin<float>& b) { WeightedAll(b); }
void WeightedBinAvx2(const WeightedBin<double>& b) { WeightedAll(b); }
void WeightedBinAvx2(const WeightedBin<Half>& b) { WeightedAll(b); }

}  // namespace ort_roi
