// DeformConv2d's column step with AVX2 (deform_conv_columns.h): eight floats
// or four doubles of a tap row at once, each corner a masked gather (an
// outside corner reads no memory and gives 0), then the plain version's
// products and sums in its order, without fused multiply-adds. Also float16
// widening with F16C.
#include <immintrin.h>

#include "deform_conv/deform_conv_columns.h"

namespace ort_roi {
namespace {

struct F32 {
  using V = __m256;
  static constexpr int64_t kLanes = 8;
  static V Gather(const float* plane, const int32_t* index) {
    const __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index));
    const __m256 inside = _mm256_castsi256_ps(_mm256_cmpgt_epi32(i, _mm256_set1_epi32(-1)));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), plane, i, inside, 4);
  }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
};

struct F64 {
  using V = __m256d;
  static constexpr int64_t kLanes = 4;
  static V Gather(const double* plane, const int32_t* index) {
    const __m128i i = _mm_loadu_si128(reinterpret_cast<const __m128i*>(index));
    const __m256d inside =
        _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_cmpgt_epi32(i, _mm_set1_epi32(-1))));
    return _mm256_mask_i32gather_pd(_mm256_setzero_pd(), plane, i, inside, 8);
  }
  static V Load(const double* p) { return _mm256_loadu_pd(p); }
  static void Store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V Mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
};

template <typename Ops, typename A>
void Columns(const DeformColumnsArgs<A>& a) {
  const int64_t s = a.stride;
  for (int64_t p = a.p0; p < a.p1; ++p) {
    for (int64_t ch = 0; ch < a.channels; ++ch) {
      const A* plane = a.plane + ch * a.plane_stride;
      A* rows = a.out + p * a.panel_stride + ch * a.taps * a.nr;
      for (int64_t t = 0; t < a.taps; ++t) {
        const int32_t* index = a.index + t * 4 * s;
        const A* weight = a.weight + t * 4 * s;
        for (int64_t j = 0; j < a.nr; j += Ops::kLanes) {
          const int64_t q = p * a.nr + j;
          typename Ops::V sum = Ops::Mul(Ops::Load(weight + q), Ops::Gather(plane, index + q));
          for (int64_t k = 1; k < 4; ++k) {
            sum = Ops::Add(sum, Ops::Mul(Ops::Load(weight + k * s + q), Ops::Gather(plane, index + k * s + q)));
          }
          Ops::Store(rows + t * a.nr + j, Ops::Mul(Ops::Load(a.mask + t * s + q), sum));
        }
      }
    }
  }
}

}  // namespace

void DeformColumnsAvx2(const DeformColumnsArgs<float>& a) { Columns<F32>(a); }
void DeformColumnsAvx2(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

void WidenHalfAvx2(const uint16_t* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

}  // namespace ort_roi
