// The plain C++ GEMM micro-kernel (the reference the AVX2 and AVX-512 ones in
// gemm_avx2.cc and gemm_avx512.cc are tested against) and the choice among
// them by the active vector level; float16 widening likewise.
#include "common/gemm.h"

#include "common/cpu_isa.h"
#include "common/gemm_micro.h"

namespace ort_roi {

namespace {

// c[kMr, kNr] += a-rows x b-panel, one column strip of kStrip at a time so
// that a strip's accumulators stay few enough for the compiler to keep them
// in registers on the baseline instruction set. The rows are first copied
// step-major: read row by row, the compiler would vectorise along k instead
// of along the strip, with a shuffle per product.
template <typename A, int64_t kMr, int64_t kNr, int64_t kLda>
void Plain(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int64_t kStrip = 4;
  static_assert(kNr % kStrip == 0, "kNr must be whole strips");
  A steps[kLda][kMr];
  for (int64_t i = 0; i < kMr; ++i)
    for (int64_t s = 0; s < kc; ++s) steps[s][i] = a[i * kLda + s];
  for (int64_t j0 = 0; j0 < kNr; j0 += kStrip) {
    A acc[kMr][kStrip];
    for (int64_t i = 0; i < kMr; ++i)
      for (int64_t j = 0; j < kStrip; ++j) acc[i][j] = c[i * ldc + j0 + j];
    for (int64_t s = 0; s < kc; ++s) {
      for (int64_t i = 0; i < kMr; ++i) {
        const A ai = steps[s][i];
        for (int64_t j = 0; j < kStrip; ++j) acc[i][j] += ai * b[s * kNr + j0 + j];
      }
    }
    for (int64_t i = 0; i < kMr; ++i)
      for (int64_t j = 0; j < kStrip; ++j) c[i * ldc + j0 + j] = acc[i][j];
  }
}

}  // namespace

void WidenHalves(const Half* in, float* out, int64_t n) {
#if ORT_ROI_X86_VARIANTS
  if (ActiveIsa() != Isa::kScalar) {
    WidenHalfAvx2(reinterpret_cast<const uint16_t*>(in), out, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = HalfToFloatHost(in[i]);
}

void NarrowToHalves(const float* in, Half* out, int64_t n) {
#if ORT_ROI_X86_VARIANTS
  if (ActiveIsa() != Isa::kScalar) {
    NarrowHalfAvx2(in, reinterpret_cast<uint16_t*>(out), n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = FloatToHalfHost(in[i]);
}

template <>
GemmKernel<float> ActiveGemmKernel<float>() {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512:
      return {kGemmMrAvx512, kGemmNrAvx512Float, kGemmKcFloat, &GemmMicroAvx512};
    case Isa::kAvx2:
      return {kGemmMrBase, kGemmNrBaseFloat, kGemmKcFloat, &GemmMicroAvx2};
    case Isa::kScalar:
      break;
  }
#endif
  return {kGemmMrBase, kGemmNrBaseFloat, kGemmKcFloat,
          &Plain<float, kGemmMrBase, kGemmNrBaseFloat, kGemmKcFloat>};
}

template <>
GemmKernel<double> ActiveGemmKernel<double>() {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512:
      return {kGemmMrAvx512, kGemmNrAvx512Double, kGemmKcDouble, &GemmMicroAvx512};
    case Isa::kAvx2:
      return {kGemmMrBase, kGemmNrBaseDouble, kGemmKcDouble, &GemmMicroAvx2};
    case Isa::kScalar:
      break;
  }
#endif
  return {kGemmMrBase, kGemmNrBaseDouble, kGemmKcDouble,
          &Plain<double, kGemmMrBase, kGemmNrBaseDouble, kGemmKcDouble>};
}

}  // namespace ort_roi
