// iou_rows.h's loops with AVX2: 8 boxes a step, the tail through masked loads.
#include <immintrin.h>

#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

// All ones in the lanes on.
using Mask = __m256i;

// The lanes, written once for both levels.
#include "nms/iou_rows_simd.h"

Mask Tail(int64_t left) {
  const int n = left >= 8 ? 8 : static_cast<int>(left);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

Boxes8 Load(FloatColumns c, int64_t s, Mask m) {
  return {_mm256_maskload_ps(c.x1 + s, m), _mm256_maskload_ps(c.y1 + s, m),
          _mm256_maskload_ps(c.x2 + s, m), _mm256_maskload_ps(c.y2 + s, m),
          _mm256_maskload_ps(c.area + s, m)};
}

Boxes8 LoadWhole(FloatColumns c, int64_t s) {
  return {_mm256_loadu_ps(c.x1 + s), _mm256_loadu_ps(c.y1 + s), _mm256_loadu_ps(c.x2 + s),
          _mm256_loadu_ps(c.y2 + s), _mm256_loadu_ps(c.area + s)};
}

int HitBits(__m256 iou, __m256 threshold, Mask m) {
  const __m256 hit = _mm256_cmp_ps(iou, threshold, _CMP_GT_OQ);
  return _mm256_movemask_ps(_mm256_and_ps(hit, _mm256_castsi256_ps(m)));
}

}  // namespace

bool AnyIouAboveAvx2(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                     float threshold) {
  return AnyAbove(kept, begin, end, box, threshold);
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
    const __m256 above = _mm256_cmp_ps(Iou(a, LoadWhole(later, s)), t, _CMP_GT_OQ);
    const __m256i hit = _mm256_castps_si256(above);
    __m256i* to = reinterpret_cast<__m256i*>(suppressed + s);
    _mm256_storeu_si256(to, _mm256_or_si256(_mm256_loadu_si256(to), _mm256_and_si256(hit, one)));
  }
  if (s < end) {
    const Mask m = Tail(end - s);
    const int bits = HitBits(Iou(a, Load(later, s, m)), t, m);
    for (int b = 0; b < 8; ++b) {
      if (bits & (1 << b)) suppressed[s + b] = 1;
    }
  }
}

}  // namespace ort_roi
