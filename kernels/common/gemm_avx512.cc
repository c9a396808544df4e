// GEMM micro-kernels for AVX-512 (gemm_micro.h): a 14 x (2 vectors) block of
// C in 28 of the 32 registers (the loop in gemm_simd.h).
#include <immintrin.h>

#include "common/gemm_micro.h"

namespace ort_roi {
namespace {

inline __m512 Load(const float* p) { return _mm512_loadu_ps(p); }
inline __m512d Load(const double* p) { return _mm512_loadu_pd(p); }
inline void Store(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
inline void Store(double* p, __m512d v) { _mm512_storeu_pd(p, v); }
inline __m512 Broadcast(const float* p) { return _mm512_set1_ps(*p); }
inline __m512d Broadcast(const double* p) { return _mm512_set1_pd(*p); }
inline __m512 MulAdd(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
inline __m512d MulAdd(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }

// The micro-kernel, written once for every level.
#include "common/gemm_simd.h"

}  // namespace

void GemmMicroAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  static_assert(kGemmNrAvx512Float == 32, "two AVX-512 vectors of float");
  Micro<float, __m512, kGemmMrAvx512, kGemmKcFloat>(kc, a, b, c, ldc);
}

void GemmMicroAvx512(int64_t kc, const double* a, const double* b, double* c, int64_t ldc) {
  static_assert(kGemmNrAvx512Double == 16, "two AVX-512 vectors of double");
  Micro<double, __m512d, kGemmMrAvx512, kGemmKcDouble>(kc, a, b, c, ldc);
}

}  // namespace ort_roi
