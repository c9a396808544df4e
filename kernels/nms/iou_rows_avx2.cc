// iou_rows.h's loops with AVX2: 8 boxes a step, the tail through masked loads.
#include <immintrin.h>

#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

struct Boxes8 {
  __m256 x1, y1, x2, y2, area;
};

Boxes8 Broadcast(FloatBox b) {
  return {_mm256_set1_ps(b.x1), _mm256_set1_ps(b.y1), _mm256_set1_ps(b.x2), _mm256_set1_ps(b.y2),
          _mm256_set1_ps(b.area)};
}

Boxes8 Load(FloatColumns c, int64_t s) {
  return {_mm256_loadu_ps(c.x1 + s), _mm256_loadu_ps(c.y1 + s), _mm256_loadu_ps(c.x2 + s),
          _mm256_loadu_ps(c.y2 + s), _mm256_loadu_ps(c.area + s)};
}

// Lanes outside m read as 0, and nothing past the end is touched.
Boxes8 Load(FloatColumns c, int64_t s, __m256i m) {
  return {_mm256_maskload_ps(c.x1 + s, m), _mm256_maskload_ps(c.y1 + s, m),
          _mm256_maskload_ps(c.x2 + s, m), _mm256_maskload_ps(c.y2 + s, m),
          _mm256_maskload_ps(c.area + s, m)};
}

// max(0, StdMin(a2, b2) - StdMax(a1, b1)): StdMin(a2, b2) = b2 < a2 ? b2 : a2
// is min(b2, a2), StdMax(a1, b1) = a1 < b1 ? b1 : a1 is max(b1, a1).
__m256 Side(__m256 a1, __m256 a2, __m256 b1, __m256 b2) {
  return _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(b2, a2), _mm256_max_ps(b1, a1)),
                       _mm256_setzero_ps());
}

// BoxIoU(a, b) > threshold per lane: all ones or zero.
__m256 Above(const Boxes8& a, const Boxes8& b, __m256 threshold) {
  const __m256 inter = _mm256_mul_ps(Side(a.x1, a.x2, b.x1, b.x2), Side(a.y1, a.y2, b.y1, b.y2));
  const __m256 iou = _mm256_div_ps(inter, _mm256_sub_ps(_mm256_add_ps(a.area, b.area), inter));
  return _mm256_cmp_ps(iou, threshold, _CMP_GT_OQ);
}

// Lanes [0, left) all ones.
__m256i Tail(int64_t left) {
  const int n = left >= 8 ? 8 : static_cast<int>(left);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

bool AnyIouAboveAvx2(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                     float threshold) {
  const Boxes8 b = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  for (int64_t s = begin; s < end; s += 8) {
    const __m256i m = Tail(end - s);
    const __m256 hit = Above(Load(kept, s, m), b, t);
    if (_mm256_movemask_ps(_mm256_and_ps(hit, _mm256_castsi256_ps(m)))) return true;
  }
  return false;
}

void MarkIouAboveAvx2(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                      float threshold, int32_t* suppressed) {
  const Boxes8 a = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  const __m256i one = _mm256_set1_epi32(1);
  int64_t s = begin;
  // Whole vectors: read, or in the hits, write back (masked stores are slow
  // on some processors).
  for (; s + 8 <= end; s += 8) {
    const __m256i hit = _mm256_castps_si256(Above(a, Load(later, s), t));
    __m256i* to = reinterpret_cast<__m256i*>(suppressed + s);
    _mm256_storeu_si256(to, _mm256_or_si256(_mm256_loadu_si256(to), _mm256_and_si256(hit, one)));
  }
  if (s < end) {
    const __m256i m = Tail(end - s);
    const __m256 hit = Above(a, Load(later, s, m), t);
    const int bits = _mm256_movemask_ps(_mm256_and_ps(hit, _mm256_castsi256_ps(m)));
    for (int b = 0; b < 8; ++b) {
      if (bits & (1 << b)) suppressed[s + b] = 1;
    }
  }
}

}  // namespace ort_roi
