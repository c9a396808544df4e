// AVX-512 bin kernels of channels_last_pool.h: 16 float lanes (float16 is
// widened to float on load, as Load<float> does), 8 double lanes, masked
// loads for the last channels. Per lane, the same operations in the same
// order as the plain kernels in channels_last_pool_cpu.cc. Built with
// -mavx512f/bw/dq/vl; see common/cpu_isa.h for what this file may use.
#include <immintrin.h>

#include <cfloat>
#include <cstdint>

#include "channels_last_pool/channels_last_pool.h"

// GCC 12's own AVX-512 headers fill unused operands with _mm512_undefined_*,
// which -W(maybe-)uninitialized reports once inlined here; not our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace ort_roi {
namespace {

template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int64_t kLanes = 16;
  static M Mask(int64_t n) { return n >= 16 ? M(0xffff) : M((1u << n) - 1u); }
  static V Load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V Set(float a) { return _mm512_set1_ps(a); }
  static V LoadAll(const float* p) { return _mm512_loadu_ps(p); }
  static void StoreAll(V v, float* p) { _mm512_storeu_ps(p, v); }
  // Keeps `best` unless v > best: torchvision's `if (v > best) best = v`.
  static V Max(V v, V best) { return _mm512_max_ps(v, best); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static void Store(V v, int64_t n, float* out, int64_t stride) {
    if (stride == 1 && n == 16) return _mm512_storeu_ps(out, v);
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

template <>
struct Vec<Half> : Vec<float> {
  static V Load(M m, const Half* p) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
  static void Store(V v, int64_t n, Half* out, int64_t stride) {
    __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // FloatToHalf writes every NaN as sign | 0x7e00; the instruction keeps
    // payload bits.
    const __m256i quiet = _mm256_or_si256(_mm256_and_si256(h, _mm256_set1_epi16(-0x8000)),
                                          _mm256_set1_epi16(0x7e00));
    h = _mm256_mask_blend_epi16(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), h, quiet);
    if (stride == 1 && n == 16) return _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), h);
    alignas(32) uint16_t t[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), h);
    for (int64_t i = 0; i < n; ++i) out[i * stride].bits = t[i];
  }
};

template <>
struct Vec<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int64_t kLanes = 8;
  static M Mask(int64_t n) { return n >= 8 ? M(0xff) : M((1u << n) - 1u); }
  static V Load(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static V Set(double a) { return _mm512_set1_pd(a); }
  static V LoadAll(const double* p) { return _mm512_loadu_pd(p); }
  static void StoreAll(V v, double* p) { _mm512_storeu_pd(p, v); }
  static V Max(V v, V best) { return _mm512_max_pd(v, best); }
  static V Add(V a, V b) { return _mm512_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm512_div_pd(a, b); }
  static void Store(V v, int64_t n, double* out, int64_t stride) {
    if (stride == 1 && n == 8) return _mm512_storeu_pd(out, v);
    alignas(64) double t[8];
    _mm512_store_pd(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

// The bodies, written against Vec<T> above.
#include "channels_last_pool/channels_last_pool_simd.h"

}  // namespace

void MaxBinAvx512(const PoolBin<float>& b) { MaxAll(b); }
void MaxBinAvx512(const PoolBin<double>& b) { MaxAll(b); }
void MaxBinAvx512(const PoolBin<Half>& b) { MaxAll(b); }
void MeanBinAvx512(const PoolBin<float>& b) { MeanAll(b); }
void MeanBinAvx512(const PoolBin<double>& b) { MeanAll(b); }
void MeanBinAvx512(const PoolBin<Half>& b) { MeanAll(b); }
void WeightedBinAvx512(const WeightedBin<float>& b) { WeightedAll(b); }
void WeightedBinAvx512(const WeightedBin<double>& b) { WeightedAll(b); }
void WeightedBinAvx512(const WeightedBin<Half>& b) { WeightedAll(b); }

}  // namespace ort_roi
