// iou_rows.h's loops with AVX-512 (VL): 8 boxes a step in 256-bit vectors,
// whose divisions are cheaper than 512-bit ones on some processors and whose
// width suits the short stretches NMS scans; the tail under a mask register.
#include <immintrin.h>

#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

using Mask = __mmask8;

// The lanes, written once for both levels.
#include "nms/iou_rows_simd.h"

Mask Tail(int64_t left) { return left >= 8 ? Mask(0xFF) : Mask((1u << left) - 1); }

Boxes8 Load(FloatColumns c, int64_t s, Mask m) {
  return {_mm256_maskz_loadu_ps(m, c.x1 + s), _mm256_maskz_loadu_ps(m, c.y1 + s),
          _mm256_maskz_loadu_ps(m, c.x2 + s), _mm256_maskz_loadu_ps(m, c.y2 + s),
          _mm256_maskz_loadu_ps(m, c.area + s)};
}

int HitBits(__m256 iou, __m256 threshold, Mask m) {
  return _mm256_cmp_ps_mask(iou, threshold, _CMP_GT_OQ) & m;
}

}  // namespace

bool AnyIouAboveAvx512(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                       float threshold) {
  return AnyAbove(kept, begin, end, box, threshold);
}

void MarkIouAboveAvx512(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                        float threshold, int32_t* suppressed) {
  const Boxes8 a = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  const __m256i one = _mm256_set1_epi32(1);
  for (int64_t s = begin; s < end; s += 8) {
    const Mask m = Tail(end - s);
    const Mask hit = static_cast<Mask>(HitBits(Iou(a, Load(later, s, m)), t, m));
    _mm256_mask_storeu_epi32(suppressed + s, hit, one);
  }
}

}  // namespace ort_roi
