// iou_rows.h's loops with AVX-512 (VL): 8 boxes a step in 256-bit vectors,
// whose divisions are cheaper than 512-bit ones on some processors and whose
// width suits the short stretches NMS scans; the tail under a mask register.
#include <immintrin.h>

#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

// BoxIoU(a, b) > threshold per lane, a = (ax1, ..., aarea), b likewise.
__mmask8 Above(__m256 ax1, __m256 ay1, __m256 ax2, __m256 ay2, __m256 aarea, __m256 bx1,
               __m256 by1, __m256 bx2, __m256 by2, __m256 barea, __m256 threshold) {
  const __m256 zero = _mm256_setzero_ps();
  // StdMin(ax2, bx2) = bx2 < ax2 ? bx2 : ax2 = min(bx2, ax2); StdMax likewise.
  const __m256 w = _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(bx2, ax2), _mm256_max_ps(bx1, ax1)), zero);
  const __m256 h = _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(by2, ay2), _mm256_max_ps(by1, ay1)), zero);
  const __m256 inter = _mm256_mul_ps(w, h);
  const __m256 iou = _mm256_div_ps(inter, _mm256_sub_ps(_mm256_add_ps(aarea, barea), inter));
  return _mm256_cmp_ps_mask(iou, threshold, _CMP_GT_OQ);
}

__mmask8 Tail(int64_t left) { return left >= 8 ? __mmask8(0xFF) : __mmask8((1u << left) - 1); }

}  // namespace

bool AnyIouAboveAvx512(FloatColumns k, int64_t begin, int64_t end, FloatBox box, float threshold) {
  const __m256 bx1 = _mm256_set1_ps(box.x1), by1 = _mm256_set1_ps(box.y1);
  const __m256 bx2 = _mm256_set1_ps(box.x2), by2 = _mm256_set1_ps(box.y2);
  const __m256 barea = _mm256_set1_ps(box.area), t = _mm256_set1_ps(threshold);
  for (int64_t s = begin; s < end; s += 8) {
    const __mmask8 m = Tail(end - s);
    const __mmask8 hit = Above(_mm256_maskz_loadu_ps(m, k.x1 + s), _mm256_maskz_loadu_ps(m, k.y1 + s),
                               _mm256_maskz_loadu_ps(m, k.x2 + s), _mm256_maskz_loadu_ps(m, k.y2 + s),
                               _mm256_maskz_loadu_ps(m, k.area + s), bx1, by1, bx2, by2, barea, t);
    if (hit & m) return true;
  }
  return false;
}

void MarkIouAboveAvx512(FloatColumns l, int64_t begin, int64_t end, FloatBox box, float threshold,
                        int32_t* suppressed) {
  const __m256 ax1 = _mm256_set1_ps(box.x1), ay1 = _mm256_set1_ps(box.y1);
  const __m256 ax2 = _mm256_set1_ps(box.x2), ay2 = _mm256_set1_ps(box.y2);
  const __m256 aarea = _mm256_set1_ps(box.area), t = _mm256_set1_ps(threshold);
  const __m256i one = _mm256_set1_epi32(1);
  for (int64_t s = begin; s < end; s += 8) {
    const __mmask8 m = Tail(end - s);
    const __mmask8 hit = Above(ax1, ay1, ax2, ay2, aarea, _mm256_maskz_loadu_ps(m, l.x1 + s),
                               _mm256_maskz_loadu_ps(m, l.y1 + s), _mm256_maskz_loadu_ps(m, l.x2 + s),
                               _mm256_maskz_loadu_ps(m, l.y2 + s), _mm256_maskz_loadu_ps(m, l.area + s), t);
    _mm256_mask_storeu_epi32(suppressed + s, hit & m, one);
  }
}

}  // namespace ort_roi
