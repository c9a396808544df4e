// GEMM micro-kernels. The library is built for the baseline ISA (no -march),
// so that one binary runs everywhere; the micro-kernel, where nearly all the
// time of a product goes, exists twice on x86-64 (baseline vector code, and
// AVX2 with FMA) and the running CPU picks one. Both read the same packed
// panels.
#include "common/gemm.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

namespace ort_roi {

namespace {

template <typename A, int kBytes>
struct Vector {
  typedef A type __attribute__((vector_size(kBytes)));
};

// c[kRows, kVectors * lanes] += a-panel x b-panel, where b rows are `b_stride`
// apart: the block of C lives in kRows * kVectors vector registers.
template <typename A, int kRows, int kVectors, int kBytes>
__attribute__((always_inline)) inline void Block(int64_t kc, const A* a, const A* b, int64_t b_stride,
                                                 A* c, int64_t ldc) {
  using V = typename Vector<A, kBytes>::type;
  constexpr int kLanes = kBytes / static_cast<int>(sizeof(A));
  V acc[kRows][kVectors];
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kVectors; ++j) std::memcpy(&acc[i][j], c + i * ldc + j * kLanes, sizeof(V));
  for (int64_t s = 0; s < kc; ++s) {
    V bv[kVectors];
    for (int j = 0; j < kVectors; ++j) std::memcpy(&bv[j], b + s * b_stride + j * kLanes, sizeof(V));
    for (int i = 0; i < kRows; ++i) {
      const A ai = a[s * kRows + i];
      for (int j = 0; j < kVectors; ++j) acc[i][j] += ai * bv[j];
    }
  }
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kVectors; ++j) std::memcpy(c + i * ldc + j * kLanes, &acc[i][j], sizeof(V));
}

// One panel pair with vectors of kBytes, over the kNr columns in strips of
// two vectors, so that a strip's block of C fits the 16 SSE registers.
template <typename A, int kBytes>
__attribute__((always_inline)) inline void Panels(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int64_t kMr = GemmBlocking<A>::kMr, kNr = GemmBlocking<A>::kNr;
  constexpr int64_t kStrip = 2 * kBytes / static_cast<int64_t>(sizeof(A));
  static_assert(kNr % kStrip == 0, "kNr must be whole strips");
  for (int64_t j = 0; j < kNr; j += kStrip) Block<A, kMr, 2, kBytes>(kc, a, b + j, kNr, c + j, ldc);
}

template <typename A>
void Baseline(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  Panels<A, 16>(kc, a, b, c, ldc);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ORT_ROI_GEMM_AVX2 1

// Written with intrinsics rather than vector arithmetic: the kernels are
// built with -ffp-contract=off (parity of the sampling code), and the
// product's accumulation should still use fused multiply-adds.
#define ORT_ROI_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline
ORT_ROI_AVX2_INLINE __m256 Load(const float* p) { return _mm256_loadu_ps(p); }
ORT_ROI_AVX2_INLINE __m256d Load(const double* p) { return _mm256_loadu_pd(p); }
ORT_ROI_AVX2_INLINE void Store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
ORT_ROI_AVX2_INLINE void Store(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
ORT_ROI_AVX2_INLINE __m256 Broadcast(const float* p) { return _mm256_broadcast_ss(p); }
ORT_ROI_AVX2_INLINE __m256d Broadcast(const double* p) { return _mm256_broadcast_sd(p); }
ORT_ROI_AVX2_INLINE __m256 MulAdd(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
ORT_ROI_AVX2_INLINE __m256d MulAdd(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }

// The whole 6 x kNr block of C in 12 of the 16 AVX registers. Named
// variables, not an array: GCC keeps an array of vectors in memory.
template <typename A>
__attribute__((target("avx2,fma"))) void Avx2(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int64_t kNr = GemmBlocking<A>::kNr;
  constexpr int64_t kLanes = 32 / static_cast<int64_t>(sizeof(A));
  static_assert(GemmBlocking<A>::kMr == 6 && kNr == 2 * kLanes, "a 6 x (2 registers) block");
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

bool HasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

template <typename A>
using MicroKernel = void (*)(int64_t, const A*, const A*, A*, int64_t);

template <typename A>
MicroKernel<A> Pick() {
#ifdef ORT_ROI_GEMM_AVX2
  if (HasAvx2()) return &Avx2<A>;
#endif
  return &Baseline<A>;
}

}  // namespace

void GemmMicroKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  static const MicroKernel<float> kernel = Pick<float>();
  kernel(kc, a, b, c, ldc);
}

void GemmMicroKernel(int64_t kc, const double* a, const double* b, double* c, int64_t ldc) {
  static const MicroKernel<double> kernel = Pick<double>();
  kernel(kc, a, b, c, ldc);
}

}  // namespace ort_roi
