// iou_rows.h's loops with AVX2: 8 boxes a step, the tail through masked loads.
#include <immintrin.h>

#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

// BoxIoU(a, b) > threshold per lane (all ones or zero), a = (ax1, ..., aarea).
__m256 Above(__m256 ax1, __m256 ay1, __m256 ax2, __m256 ay2, __m256 aarea, __m256 bx1, __m256 by1,
             __m256 bx2, __m256 by2, __m256 barea, __m256 threshold) {
  const __m256 zero = _mm256_setzero_ps();
  // StdMin(ax2, bx2) = bx2 < ax2 ? bx2 : ax2 = min(bx2, ax2); StdMax likewise.
  const __m256 w = _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(bx2, ax2), _mm256_max_ps(bx1, ax1)), zero);
  const __m256 h = _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(by2, ay2), _mm256_max_ps(by1, ay1)), zero);
  const __m256 inter = _mm256_mul_ps(w, h);
  const __m256 iou = _mm256_div_ps(inter, _mm256_sub_ps(_mm256_add_ps(aarea, barea), inter));
  return _mm256_cmp_ps(iou, threshold, _CMP_GT_OQ);
}

// Lanes [0, left) all ones.
__m256i Tail(int64_t left) {
  const int n = left >= 8 ? 8 : static_cast<int>(left);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

bool AnyIouAboveAvx2(FloatColumns k, int64_t begin, int64_t end, FloatBox box, float threshold) {
  const __m256 bx1 = _mm256_set1_ps(box.x1), by1 = _mm256_set1_ps(box.y1);
  const __m256 bx2 = _mm256_set1_ps(box.x2), by2 = _mm256_set1_ps(box.y2);
  const __m256 barea = _mm256_set1_ps(box.area), t = _mm256_set1_ps(threshold);
  for (int64_t s = begin; s < end; s += 8) {
    const __m256i m = Tail(end - s);
    const __m256 hit = Above(_mm256_maskload_ps(k.x1 + s, m), _mm256_maskload_ps(k.y1 + s, m),
                             _mm256_maskload_ps(k.x2 + s, m), _mm256_maskload_ps(k.y2 + s, m),
                             _mm256_maskload_ps(k.area + s, m), bx1, by1, bx2, by2, barea, t);
    if (_mm256_movemask_ps(_mm256_and_ps(hit, _mm256_castsi256_ps(m)))) return true;
  }
  return false;
}

void MarkIouAboveAvx2(FloatColumns l, int64_t begin, int64_t end, FloatBox box, float threshold,
                      int32_t* suppressed) {
  const __m256 ax1 = _mm256_set1_ps(box.x1), ay1 = _mm256_set1_ps(box.y1);
  const __m256 ax2 = _mm256_set1_ps(box.x2), ay2 = _mm256_set1_ps(box.y2);
  const __m256 aarea = _mm256_set1_ps(box.area), t = _mm256_set1_ps(threshold);
  const __m256i one = _mm256_set1_epi32(1);
  int64_t s = begin;
  // Whole vectors: read, or in the hits, write back (masked stores are slow
  // on some processors).
  for (; s + 8 <= end; s += 8) {
    const __m256 hit = Above(ax1, ay1, ax2, ay2, aarea, _mm256_loadu_ps(l.x1 + s),
                             _mm256_loadu_ps(l.y1 + s), _mm256_loadu_ps(l.x2 + s),
                             _mm256_loadu_ps(l.y2 + s), _mm256_loadu_ps(l.area + s), t);
    __m256i* to = reinterpret_cast<__m256i*>(suppressed + s);
    _mm256_storeu_si256(to, _mm256_or_si256(_mm256_loadu_si256(to),
                                            _mm256_and_si256(_mm256_castps_si256(hit), one)));
  }
  if (s < end) {
    const __m256i m = Tail(end - s);
    const __m256 hit = Above(ax1, ay1, ax2, ay2, aarea, _mm256_maskload_ps(l.x1 + s, m),
                             _mm256_maskload_ps(l.y1 + s, m), _mm256_maskload_ps(l.x2 + s, m),
                             _mm256_maskload_ps(l.y2 + s, m), _mm256_maskload_ps(l.area + s, m), t);
    const int bits = _mm256_movemask_ps(_mm256_and_ps(hit, _mm256_castsi256_ps(m)));
    for (int b = 0; b < 8; ++b) {
      if (bits & (1 << b)) suppressed[s + b] = 1;
    }
  }
}

}  // namespace ort_roi
