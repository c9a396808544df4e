// GEMM micro-kernels for AVX-512 (gemm_micro.h): a 14 x (2 vectors) block of
// C in 28 of the 32 registers, so each broadcast of A feeds two fused
// multiply-adds and each load of B fourteen. The block is an array that the
// fully unrolled loops turn into registers.
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

template <typename A, typename V>
void Micro(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int kRows = static_cast<int>(kGemmMrAvx512);
  constexpr int64_t kLanes = 64 / static_cast<int64_t>(sizeof(A));
  constexpr int64_t kNr = 2 * kLanes;
  V acc0[kRows], acc1[kRows];
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i) {
    acc0[i] = Load(c + i * ldc);
    acc1[i] = Load(c + i * ldc + kLanes);
  }
  for (int64_t s = 0; s < kc; ++s, a += kRows, b += kNr) {
    const V b0 = Load(b), b1 = Load(b + kLanes);
#pragma GCC unroll 14
    for (int i = 0; i < kRows; ++i) {
      const V ai = Broadcast(a + i);
      acc0[i] = MulAdd(ai, b0, acc0[i]);
      acc1[i] = MulAdd(ai, b1, acc1[i]);
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i) {
    Store(c + i * ldc, acc0[i]);
    Store(c + i * ldc + kLanes, acc1[i]);
  }
}

}  // namespace

void GemmMicroAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  static_assert(kGemmNrAvx512Float == 32, "two AVX-512 vectors of float");
  Micro<float, __m512>(kc, a, b, c, ldc);
}

void GemmMicroAvx512(int64_t kc, const double* a, const double* b, double* c, int64_t ldc) {
  static_assert(kGemmNrAvx512Double == 16, "two AVX-512 vectors of double");
  Micro<double, __m512d>(kc, a, b, c, ldc);
}

}  // namespace ort_roi
