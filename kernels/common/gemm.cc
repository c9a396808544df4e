// GEMM micro-kernels. The library is built for the baseline ISA (no -march),
// so that one binary runs everywhere; the micro-kernel, where nearly all the
// time of a product goes, is compiled twice on x86-64 (baseline, and AVX2 with
// FMA) and the running CPU picks one. Both read the same packed panels.
#include "common/gemm.h"

#include <cstring>

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

// A panel pair with vectors of kBytes, covering the kNr columns in strips of
// two vectors each, so the C block of a strip fits the 16 registers of SSE2
// and AVX2 alike.
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

template <typename A>
__attribute__((target("avx2,fma"))) void Avx2(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  Panels<A, 32>(kc, a, b, c, ldc);
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
