// The IoU lanes of iou_rows.h written once for both vector levels, which
// both use 256-bit vectors: iou_rows_avx2.cc and _avx512.cc each include this
// file inside their anonymous namespace, so that each compiles its own
// private copy with its own instruction encodings (common/cpu_isa.h says why
// no copy may be shared). Before including it, a variant defines Mask, its
// type of lane mask; after, it defines the three functions declared below.
// Nothing here includes a header; the variant includes <immintrin.h> and
// iou_rows.h before.
#pragma once

struct Boxes8 {
  __m256 x1, y1, x2, y2, area;
};

Boxes8 Broadcast(FloatBox b) {
  return {_mm256_set1_ps(b.x1), _mm256_set1_ps(b.y1), _mm256_set1_ps(b.x2), _mm256_set1_ps(b.y2),
          _mm256_set1_ps(b.area)};
}

// max(0, StdMin(a2, b2) - StdMax(a1, b1)): StdMin(a2, b2) = b2 < a2 ? b2 : a2
// is min(b2, a2), StdMax(a1, b1) = a1 < b1 ? b1 : a1 is max(b1, a1).
__m256 Side(__m256 a1, __m256 a2, __m256 b1, __m256 b2) {
  return _mm256_max_ps(_mm256_sub_ps(_mm256_min_ps(b2, a2), _mm256_max_ps(b1, a1)),
                       _mm256_setzero_ps());
}

// BoxIoU(a, b) per lane.
__m256 Iou(const Boxes8& a, const Boxes8& b) {
  const __m256 inter = _mm256_mul_ps(Side(a.x1, a.x2, b.x1, b.x2), Side(a.y1, a.y2, b.y1, b.y2));
  return _mm256_div_ps(inter, _mm256_sub_ps(_mm256_add_ps(a.area, b.area), inter));
}

// Lanes [0, left) on.
Mask Tail(int64_t left);
// Boxes s.. s + 7 of the columns; lanes outside m read as 0, and nothing past
// the end is touched.
Boxes8 Load(FloatColumns c, int64_t s, Mask m);
// Bit i set where lane i is in m and iou > threshold.
int HitBits(__m256 iou, __m256 threshold, Mask m);

// iou_rows.h's AnyIouAboveFn. (The columns by reference: inlined into the
// entry point, a copy of them would be loaded before the loop's first test.)
bool AnyAbove(const FloatColumns& kept, int64_t begin, int64_t end, FloatBox box,
              float threshold) {
  const Boxes8 b = Broadcast(box);
  const __m256 t = _mm256_set1_ps(threshold);
  for (int64_t s = begin; s < end; s += 8) {
    const Mask m = Tail(end - s);
    if (HitBits(Iou(Load(kept, s, m), b), t, m)) return true;
  }
  return false;
}
