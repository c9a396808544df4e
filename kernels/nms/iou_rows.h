// One box's IoU against a stretch of boxes stored as columns, float32, in
// vector registers: the NMS kernels' inner loops. Each lane computes BoxIoU
// (common/box_iou.h) with the same operations in the same order, so the
// decisions are those of the plain C++ loops, NaN and signed zeros included:
// x86's min/max return their second operand when the first is not strictly
// smaller/larger, which is StdMin/StdMax with the operands swapped.
#pragma once

#include <cstdint>

namespace ort_roi {

struct FloatColumns {
  const float *x1, *y1, *x2, *y2, *area;
};
struct FloatBox {
  float x1, y1, x2, y2, area;
};

// Whether BoxIoU(column box s, box) > threshold for some s in [begin, end):
// the columns hold kept boxes, `box` is the candidate.
using AnyIouAboveFn = bool (*)(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                               float threshold);
// suppressed[s] = 1 where BoxIoU(box, column box s) > threshold, s in
// [begin, end): `box` is kept, the columns are the boxes after it.
using MarkIouAboveFn = void (*)(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                                float threshold, int32_t* suppressed);

// The widest variant ActiveIsa() allows, or nullptr for the plain C++ loops.
AnyIouAboveFn VectorAnyIouAbove();
MarkIouAboveFn VectorMarkIouAbove();

// The variants (iou_rows_avx2.cc, iou_rows_avx512.cc).
bool AnyIouAboveAvx2(FloatColumns kept, int64_t begin, int64_t end, FloatBox box, float threshold);
bool AnyIouAboveAvx512(FloatColumns kept, int64_t begin, int64_t end, FloatBox box,
                       float threshold);
void MarkIouAboveAvx2(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                      float threshold, int32_t* suppressed);
void MarkIouAboveAvx512(FloatColumns later, int64_t begin, int64_t end, FloatBox box,
                        float threshold, int32_t* suppressed);

}  // namespace ort_roi
