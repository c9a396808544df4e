// DeformConv2d's column step with AVX2 (deform_conv_columns.h): eight floats
// or four doubles of a tap row at once, each corner a masked gather (an
// outside corner reads no memory and gives 0), then the plain version's
// products and sums in its order, without fused multiply-adds.
#include <immintrin.h>

#include <cstdint>

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

// Per panel, tap and vector of eight positions (ColumnsPairs).
struct PairTaps {
  alignas(32) int32_t top[8];
  alignas(32) int32_t bottom[8];
  __m256i inside[4], top_load, bottom_load;
  int edge;
};

PairTaps PreparePairs(const int32_t* index, int64_t s, int64_t q, int64_t extent) {
  PairTaps t;
  const __m256i minus_one = _mm256_set1_epi32(-1);
  __m256i i[4];
  for (int k = 0; k < 4; ++k) {
    i[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(index + k * s + q));
    t.inside[k] = _mm256_cmpgt_epi32(i[k], minus_one);
  }
  // The left corner's index, or the right one's minus 1 when only it is inside.
  const __m256i top = _mm256_blendv_epi8(_mm256_add_epi32(i[1], minus_one), i[0], t.inside[0]);
  const __m256i bottom = _mm256_blendv_epi8(_mm256_add_epi32(i[3], minus_one), i[2], t.inside[2]);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t.top), top);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t.bottom), bottom);
  const __m256i last = _mm256_set1_epi32(static_cast<int32_t>(extent - 1));
  auto safe = [&](__m256i first) {
    return _mm256_and_si256(_mm256_cmpgt_epi32(first, minus_one), _mm256_cmpgt_epi32(last, first));
  };
  const __m256i top_any = _mm256_or_si256(t.inside[0], t.inside[1]);
  const __m256i bottom_any = _mm256_or_si256(t.inside[2], t.inside[3]);
  t.top_load = _mm256_and_si256(top_any, safe(top));
  t.bottom_load = _mm256_and_si256(bottom_any, safe(bottom));
  const __m256i edge = _mm256_or_si256(_mm256_andnot_si256(t.top_load, top_any),
                                       _mm256_andnot_si256(t.bottom_load, bottom_any));
  t.edge = _mm256_movemask_ps(_mm256_castsi256_ps(edge));
  return t;
}

// The left and right corners of eight row pairs starting at first[0..7].
void LoadPairs(const float* plane, const int32_t* first, __m256i load, __m256* left, __m256* right) {
  const __m128i first_lo = _mm_load_si128(reinterpret_cast<const __m128i*>(first));
  const __m128i first_hi = _mm_load_si128(reinterpret_cast<const __m128i*>(first + 4));
  const __m256i load_lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(load));
  const __m256i load_hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(load, 1));
  const long long* base = reinterpret_cast<const long long*>(plane);
  const __m256 lo = _mm256_castsi256_ps(_mm256_mask_i32gather_epi64(_mm256_setzero_si256(), base, first_lo, load_lo, 4));
  const __m256 hi = _mm256_castsi256_ps(_mm256_mask_i32gather_epi64(_mm256_setzero_si256(), base, first_hi, load_hi, 4));
  // shuffle_ps works within 128-bit halves: pairs of positions come out as
  // (0, 1), (4, 5), (2, 3), (6, 7); the 64-bit permute puts them in order.
  const __m256 l = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  const __m256 r = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
  *left = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(l), _MM_SHUFFLE(3, 1, 2, 0)));
  *right = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(r), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Corners c with the lanes outside the plane zeroed.
__m256 Inside(__m256 c, __m256i inside) { return _mm256_and_ps(c, _mm256_castsi256_ps(inside)); }

// The bodies, written against the pieces above.
#include "deform_conv/deform_conv_columns_simd.h"

}  // namespace

void DeformColumnsAvx2(const DeformColumnsArgs<float>& a) { ColumnsFloat(a); }
void DeformColumnsAvx2(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

}  // namespace ort_roi
