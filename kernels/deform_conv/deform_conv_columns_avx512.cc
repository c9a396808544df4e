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

// float, sixteen positions at a time, reading the two corners of a row with
// one 64-bit load: half the gathered elements of Columns<F32>. Per panel and
// tap, shared by all channels: the first element of each row pair (top: the
// row y_low, bottom: y_high), which corners are inside, and the pairs whose
// load would leave [0, extent) (a corner at the plane's first or last
// element, a column outside): those positions are redone one at a time.
constexpr int64_t kMaxPairs = 64;  // (tap, vector) pairs per panel, on the stack

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
  // extent fits int32 here: indices are int32 and the caller caps it below.
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

// One position exactly as the plain version computes it.
float OnePosition(const DeformColumnsArgs<float>& a, const float* plane, int64_t t, int64_t q) {
  const int64_t s = a.stride;
  const int32_t* index = a.index + t * 4 * s;
  const float* weight = a.weight + t * 4 * s;
  float v[4];
  for (int64_t k = 0; k < 4; ++k) {
    const int32_t i = index[k * s + q];
    v[k] = i >= 0 ? plane[i] : 0.0f;
  }
  const float sum = weight[q] * v[0] + weight[s + q] * v[1] + weight[2 * s + q] * v[2] +
                    weight[3 * s + q] * v[3];
  return a.mask[t * s + q] * sum;
}

void ColumnsPairs(const DeformColumnsArgs<float>& a) {
  const int64_t s = a.stride, groups = a.nr / 16;
  PairTaps pairs[kMaxPairs];
  for (int64_t p = a.p0; p < a.p1; ++p) {
    for (int64_t t = 0; t < a.taps; ++t) {
      for (int64_t v = 0; v < groups; ++v) {
        pairs[t * groups + v] = PreparePairs(a.index + t * 4 * s, s, p * a.nr + v * 16, a.extent);
      }
    }
    for (int64_t ch = 0; ch < a.channels; ++ch) {
      const float* plane = a.plane + ch * a.plane_stride;
      float* rows = a.out + p * a.panel_stride + ch * a.taps * a.nr;
      for (int64_t t = 0; t < a.taps; ++t) {
        const float* weight = a.weight + t * 4 * s;
        for (int64_t v = 0; v < groups; ++v) {
          const PairTaps& pt = pairs[t * groups + v];
          const int64_t q = p * a.nr + v * 16;
          __m512 c[4];
          LoadPairs(plane, pt.top, pt.top_load, &c[0], &c[1]);
          LoadPairs(plane, pt.bottom, pt.bottom_load, &c[2], &c[3]);
          __m512 sum = _mm512_mul_ps(_mm512_loadu_ps(weight + q), _mm512_maskz_mov_ps(pt.inside[0], c[0]));
          for (int k = 1; k < 4; ++k) {
            sum = _mm512_add_ps(sum, _mm512_mul_ps(_mm512_loadu_ps(weight + k * s + q),
                                                   _mm512_maskz_mov_ps(pt.inside[k], c[k])));
          }
          float* out = rows + t * a.nr + v * 16;
          _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_loadu_ps(a.mask + t * s + q), sum));
          for (unsigned edge = pt.edge; edge != 0; edge &= edge - 1) {
            const int lane = __builtin_ctz(edge);
            out[lane] = OnePosition(a, plane, t, q + lane);
          }
        }
      }
    }
  }
}

}  // namespace

void DeformColumnsAvx512(const DeformColumnsArgs<float>& a) {
  if (a.nr % 16 == 0 && a.taps * (a.nr / 16) <= kMaxPairs && a.extent <= INT32_MAX) {
    ColumnsPairs(a);
  } else {
    Columns<F32>(a);
  }
}
void DeformColumnsAvx512(const DeformColumnsArgs<double>& a) { Columns<F64>(a); }

}  // namespace ort_roi
