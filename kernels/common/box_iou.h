// Box area and intersection-over-union exactly as torchvision's nms kernel
// computes them, for the CPU NMS kernels and a future CUDA one.
//
// Parity depends on the order of operations, so nothing here may be
// rearranged: the area is (x2 - x1) * (y2 - y1), the union is
// area_a + area_b - inter, and every step rounds in A (float for float32 and
// float16, double for double). A compiler that fused `area_a + area_b - w * h`
// into one FMA would change the last bit; nvcc does so by default, so a CUDA
// kernel must build this with contraction off (-fmad=false) or equivalent.
#pragma once

#include "host_device.h"

namespace ort_roi {

// std::max / std::min, argument order included: with a NaN they return the
// first argument, and torchvision's results with NaN boxes depend on that.
template <typename A>
ORT_ROI_HD A StdMax(A a, A b) {
  return a < b ? b : a;
}
template <typename A>
ORT_ROI_HD A StdMin(A a, A b) {
  return b < a ? b : a;
}

template <typename A>
ORT_ROI_HD A BoxArea(A x1, A y1, A x2, A y2) {
  return (x2 - x1) * (y2 - y1);
}

// IoU of box a (kept) and box b (candidate). A NaN coordinate makes an area
// NaN, so the IoU is NaN and compares false against every threshold: such a
// box is never suppressed and suppresses nothing.
template <typename A>
ORT_ROI_HD A BoxIoU(A ax1, A ay1, A ax2, A ay2, A area_a, A bx1, A by1, A bx2, A by2, A area_b) {
  const A w = StdMax(A(0), StdMin(ax2, bx2) - StdMax(ax1, bx1));
  const A h = StdMax(A(0), StdMin(ay2, by2) - StdMax(ay1, by1));
  const A inter = w * h;
  return inter / (area_a + area_b - inter);
}

}  // namespace ort_roi
