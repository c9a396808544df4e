// DeformConv2d's column step with AVX-512 (deform_conv_columns.h): sixteen
// floats or eight doubles of a tap row at once, each corner a masked gather
// (an outside corner reads no memory and gives 0), then the plain version's
// products and sums in its order, without fused multiply-adds.
#include <immintrin.h>

#include <cstdint>

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

// Per panel, tap and vector of sixteen positions (ColumnsPairs).
struct PairTaps {
  alignas(64) int32_t top[16];
  alignas(64) int32_t bottom[16];
  __mmask16 inside[4], top_load, bottom_load, edge;
};

PairTaps PreparePairs(const int32_t* index, int64_t s, int64_t q, int64_t extent) {
  PairTaps t;
  __m512i i[4];
  for (int k = 0; k < 4; ++k) {
    i[k] = _mm512_loadu_si512(index + k * s + q);
    t.inside[k] = _mm512_cmpge_epi32_mask(i[k], _mm512_setzero_si512());
  }
  const __m512i one = _mm512_set1_epi32(1);
  // The left corner's index, or the right one's minus 1 when only it is inside.
  const __m512i top = _mm512_mask_blend_epi32(t.inside[0], _mm512_sub_epi32(i[1], one), i[0]);
  const __m512i bottom = _mm512_mask_blend_epi32(t.inside[2], _mm512_sub_epi32(i[3], one), i[2]);
  _mm512_store_si512(t.top, top);
  _mm512_store_si512(t.bottom, bottom);
  const __mmask16 top_any = t.inside[0] | t.inside[1], bottom_any = t.inside[2] | t.inside[3];
  // extent fits int32 here: indices are int32 and ColumnsFloat caps it.
  const __m512i last = _mm512_set1_epi32(static_cast<int32_t>(extent - 1));
  auto safe = [&](__m512i first) {
    return static_cast<__mmask16>(_mm512_cmpge_epi32_mask(first, _mm512_setzero_si512()) &
                                  _mm512_cmplt_epi32_mask(first, last));
  };
  t.top_load = top_any & safe(top);
  t.bottom_load = bottom_any & safe(bottom);
  t.edge = static_cast<__mmask16>((top_any & ~t.top_load) | (bottom_any & ~t.bottom_load));
  return t;
}

// The left and right corners of sixteen row pairs starting at first[0..15].
void LoadPairs(const float* plane, const int32_t* first, __mmask16 load, __m512* left, __m512* right) {
  const __m256i first_lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(first));
  const __m256i first_hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(first + 8));
  const __m512i lo = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), static_cast<__mmask8>(load),
                                                 first_lo, plane, 4);
  const __m512i hi = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), static_cast<__mmask8>(load >> 8),
                                                 first_hi, plane, 4);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  *left = _mm512_permutex2var_ps(_mm512_castsi512_ps(lo), even, _mm512_castsi512_ps(hi));
  *right = _mm512_permutex2var_ps(_mm512_castsi512_ps(lo), odd, _mm512_castsi512_ps(hi));
}

// Corners c with the lanes outside the plane zeroed.
__m512 Inside(__m512 c, __mmask16 inside) { return _mm512_maskz_mov_ps(inside, c); }

// The bodies, written against the pieces above.
#include "deform_conv/deform_conv_columns_simd.h"

}  // namespace

void DeformColumnsAvx512(const DeformColumnsArgs<float>& a) { ColumnsFloat(a); }
void DeformColumnsAvx512(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

}  // namespace ort_roi
