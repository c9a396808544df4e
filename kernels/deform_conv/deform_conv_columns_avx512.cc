// DeformConv2d's column step with AVX-512 (deform_conv_columns.h): sixteen
// floats or eight doubles of a tap row at once, each corner a masked gather
// (an outside corner reads no memory and gives 0), then the plain version's
// products and sums in its order, without fused multiply-adds.
#include <immintrin.h>

#include "deform_conv/deform_conv_columns.h"

namespace ort_roi {
namespace {

struct F32 {
  using V = __m512;
  static constexpr int64_t kLanes = 16;
  static V Gather(const float* plane, const int32_t* index) {
    const __m512i i = _mm512_loadu_si512(index);
    const __mmask16 inside = _mm512_cmpge_epi32_mask(i, _mm512_setzero_si512());
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, i, plane, 4);
  }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
};

struct F64 {
  using V = __m512d;
  static constexpr int64_t kLanes = 8;
  static V Gather(const double* plane, const int32_t* index) {
    const __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index));
    const __mmask8 inside = _mm256_cmpge_epi32_mask(i, _mm256_setzero_si256());
    return _mm512_mask_i32gather_pd(_mm512_setzero_pd(), inside, i, plane, 8);
  }
  static V Load(const double* p) { return _mm512_loadu_pd(p); }
  static void Store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V Mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V Add(V a, V b) { return _mm512_add_pd(a, b); }
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

void DeformColumnsAvx512(const DeformColumnsArgs<float>& a) { Columns<F32>(a); }
void DeformColumnsAvx512(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

}  // namespace ort_roi
