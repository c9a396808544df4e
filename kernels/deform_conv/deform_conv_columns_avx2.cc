// DeformConv2d's column step with AVX2 (deform_conv_columns.h): eight floats
// or four doubles of a tap's channels at once, with the plain version's
// products and sums in its order, without fused multiply-adds.
#include <immintrin.h>

#include <cstdint>

#include "deform_conv/deform_conv_columns.h"

namespace ort_roi {
namespace {

struct F32 {
  using V = __m256;
  static constexpr int64_t kLanes = 8;
  static V Set1(float x) { return _mm256_set1_ps(x); }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
};

struct F64 {
  using V = __m256d;
  static constexpr int64_t kLanes = 4;
  static V Set1(double x) { return _mm256_set1_pd(x); }
  static V Load(const double* p) { return _mm256_loadu_pd(p); }
  static void Store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V Mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
};

// The body, written against the pieces above.
#include "deform_conv/deform_conv_columns_simd.h"

}  // namespace

void DeformColumnsAvx2(const DeformColumnsArgs<float>& a) { Columns<F32>(a); }
void DeformColumnsAvx2(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

}  // namespace ort_roi
