// GEMM micro-kernels for AVX2 + FMA (gemm_micro.h), and float16 widening
// with F16C: a 6 x (2 vectors) block of C in 12 of the 16 registers (the
// loop in gemm_simd.h). Intrinsics, because the build has -ffp-contract=off
// and the product should still use fused multiply-adds.
#include <immintrin.h>

#include "common/gemm_micro.h"

namespace ort_roi {
namespace {

inline __m256 Load(const float* p) { return _mm256_loadu_ps(p); }
inline __m256d Load(const double* p) { return _mm256_loadu_pd(p); }
inline void Store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
inline void Store(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
inline __m256 Broadcast(const float* p) { return _mm256_broadcast_ss(p); }
inline __m256d Broadcast(const double* p) { return _mm256_broadcast_sd(p); }
inline __m256 MulAdd(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
inline __m256d MulAdd(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }

// The micro-kernel, written once for every level.
#include "common/gemm_simd.h"

}  // namespace

void GemmMicroAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  static_assert(kGemmNrBaseFloat == 16, "two AVX vectors of float");
  Micro<float, __m256, kGemmMrBase, kGemmKcFloat>(kc, a, b, c, ldc);
}

void GemmMicroAvx2(int64_t kc, const double* a, const double* b, double* c, int64_t ldc) {
  static_assert(kGemmNrBaseDouble == 8, "two AVX vectors of double");
  Micro<double, __m256d, kGemmMrBase, kGemmKcDouble>(kc, a, b, c, ldc);
}

void WidenHalfAvx2(const uint16_t* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

void NarrowHalfAvx2(const float* in, uint16_t* out, int64_t n) {
  constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), kNearest));
  }
  for (; i < n; ++i) out[i] = _cvtss_sh(in[i], kNearest);
}

}  // namespace ort_roi
