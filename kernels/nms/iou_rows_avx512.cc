// iou_rows.h's loops with AVX-512 (VL): 8 boxes a step in 256-bit vectors,
// whose divisions are cheaper than 512-bit ones on some processors and whose
// width suits the short stretches NMS scans; the tail under a mask register.
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

Boxes8 Load(FloatColumns c, int64_t s, __mmask8 m) {
  return {_mm256_maskz_loadu_ps(m, c.x1 + s), _mm256_maskz_loadu_ps(m, c.y1 + s),
          _mm256_maskz_loadu_ps(m, c.x2 + s), _mm256_maskz_loadu_ps(m, c.y2 + s),
          _mm256_maskz_loadu_ps(m, c.area + s)};
}

// max(0, StdMin(a2, b2) - StdMax(a1, b1)): StdMin(a2, b2) = b2 < a2 ? b2 : a2
// is min(b2, a2), StdMax(a1, b1) = a1 < b1 ? b1 : a1 is max(b1, a1).
__m256 Side(__m256 a1, __m256 a2, __m256 b1, __m256 b2) {
  return _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(b2, a2), _mm256_max_ps(b1, a1)),
                       _mm256_setzero_ps());
}

// BoxIoU(a, b) > threshold per lane.
__mmask8 Above(const Boxes8& a, const Boxes8& b, __m256 threshold) {
  const __m256 inter = _mm256_mul_ps(Side(a.x1, a.x2, b.x1, b.x2), Side(a.y1, a.y2, b.y1, b.y2));
  const __m256 iou = _mm256_div_ps(inter, _mm256_sub_ps(_mm256_add_ps(a.area, b.area), inter));
  return _mm256_cmp_ps_mask(iou, threshold, _CMP_GT_OQ);
}

__mmask8 Tail(int64_t left) { return left >= 8 ? __mmask8(0xFF) : __mmask8((1u << left) - 1); }

}  // namespace

bool AnyIouAboveAvx512(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                       float threshold) {
  const Boxes8 b = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  for (int64_t s = begin; s < end; s += 8) {
    const __mmask8 m = Tail(end - s);
    if (Above(Load(kept, s, m), b, t) & m) return true;
  }
  return false;
}

void MarkIouAboveAvx512(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                        float threshold, int32_t* suppressed) {
  const Boxes8 a = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  const __m256i one = _mm256_set1_epi32(1);
  for (int64_t s = begin; s < end; s += 8) {
    const __mmask8 m = Tail(end - s);
    _mm256_mask_storeu_epi32(suppressed + s, Above(a, Load(later, s, m), t) & m, one);
  }
}

}  // namespace ort_roi
