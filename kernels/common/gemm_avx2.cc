// GEMM micro-kernels for AVX2 + FMA (gemm_micro.h), and float16 widening
// with F16C: a 6 x (2 vectors) block
// of C in 12 of the 16 registers. Named variables, not an array: GCC keeps an
// array of vectors in memory. Intrinsics, because the build has
// -ffp-contract=off and the product should still use fused multiply-adds.
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

template <typename A>
void Micro(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int64_t kLanes = 32 / static_cast<int64_t>(sizeof(A));
  constexpr int64_t kNr = 2 * kLanes;
  static_assert(kGemmMrBase == 6, "six rows of C");
  A* c0 = c;
  A* c1 = c + ldc;
  A* c2 = c + 2 * ldc;
  A* c3 = c + 3 * ldc;
  A* c4 = c + 4 * ldc;
  A* c5 = c + 5 * ldc;
  auto r00 = Load(c0), r01 = Load(c0 + kLanes), r10 = Load(c1), r11 = Load(c1 + kLanes);
  auto r20 = Load(c2), r21 = Load(c2 + kLanes), r30 = Load(c3), r31 = Load(c3 + kLanes);
  auto r40 = Load(c4), r41 = Load(c4 + kLanes), r50 = Load(c5), r51 = Load(c5 + kLanes);
  for (int64_t s = 0; s < kc; ++s, a += 6, b += kNr) {
    const auto b0 = Load(b), b1 = Load(b + kLanes);
    auto ai = Broadcast(a);
    r00 = MulAdd(ai, b0, r00);
    r01 = MulAdd(ai, b1, r01);
    ai = Broadcast(a + 1);
    r10 = MulAdd(ai, b0, r10);
    r11 = MulAdd(ai, b1, r11);
    ai = Broadcast(a + 2);
    r20 = MulAdd(ai, b0, r20);
    r21 = MulAdd(ai, b1, r21);
    ai = Broadcast(a + 3);
    r30 = MulAdd(ai, b0, r30);
    r31 = MulAdd(ai, b1, r31);
    ai = Broadcast(a + 4);
    r40 = MulAdd(ai, b0, r40);
    r41 = MulAdd(ai, b1, r41);
    ai = Broadcast(a + 5);
    r50 = MulAdd(ai, b0, r50);
    r51 = MulAdd(ai, b1, r51);
  }
  Store(c0, r00), Store(c0 + kLanes, r01), Store(c1, r10), Store(c1 + kLanes, r11);
  Store(c2, r20), Store(c2 + kLanes, r21), Store(c3, r30), Store(c3 + kLanes, r31);
  Store(c4, r40), Store(c4 + kLanes, r41), Store(c5, r50), Store(c5 + kLanes, r51);
}

}  // namespace

void GemmMicroAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  static_assert(kGemmNrBaseFloat == 16, "two AVX vectors of float");
  Micro(kc, a, b, c, ldc);
}

void GemmMicroAvx2(int64_t kc, const double* a, const double* b, double* c, int64_t ldc) {
  static_assert(kGemmNrBaseDouble == 8, "two AVX vectors of double");
  Micro(kc, a, b, c, ldc);
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
