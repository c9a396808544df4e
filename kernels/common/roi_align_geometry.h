// Where a roi's bins and sampling points lie, for RoIAlign and the levels of
// MultiScaleRoIAlign. Shared by the CPU and CUDA kernels so the two cannot
// drift apart. `A` is the accumulation type: float for float and float16
// inputs, double for double, matching torchvision's arithmetic in that type.
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace ort_roi {

// The adaptive grid (ceil(roi_size / pooled_size) samples per bin side) is
// capped so that absurd boxes (coordinates like 1e30) cost bounded work and
// never overflow an int. Boxes up to many times any real feature map have
// grids far below the cap, so for them the result is torchvision's.
constexpr int64_t kMaxSamplingGrid = 1 << 16;

template <typename A>
struct RoIAlignBox {
  A start_h, start_w;  // top-left of the roi on the feature map
  A bin_h, bin_w;      // bin size
  int64_t grid_h, grid_w;  // samples per bin side, >= 0
  A count;             // torchvision's divisor, max(grid_h * grid_w, 1)
  bool finite;         // false: a coordinate or size is NaN or infinite; output zeros
};

template <typename A>
ORT_ROI_HD int64_t AdaptiveGrid(A roi_size, int64_t pooled, int64_t sampling_ratio) {
  if (sampling_ratio > 0) return sampling_ratio;
  const A g = std::ceil(roi_size / static_cast<A>(pooled));
  // torchvision truncates a non-positive grid to zero samples: so do we.
  if (!(g > A(0))) return 0;
  if (g >= static_cast<A>(kMaxSamplingGrid)) return kMaxSamplingGrid;
  return static_cast<int64_t>(g);
}

// `roi` points at x1, y1, x2, y2 (already loaded into A).
template <typename A>
ORT_ROI_HD RoIAlignBox<A> MakeRoIAlignBox(const A* roi, A spatial_scale, bool aligned,
                                          int64_t pooled_h, int64_t pooled_w,
                                          int64_t sampling_ratio) {
  RoIAlignBox<A> b;
  const A offset = aligned ? A(0.5) : A(0);
  b.start_w = roi[0] * spatial_scale - offset;
  b.start_h = roi[1] * spatial_scale - offset;
  const A end_w = roi[2] * spatial_scale - offset;
  const A end_h = roi[3] * spatial_scale - offset;
  A roi_w = end_w - b.start_w;
  A roi_h = end_h - b.start_h;
  if (!aligned) {
    // Legacy (aligned=False) behaviour: a roi is at least one pixel wide.
    roi_w = roi_w > A(1) ? roi_w : A(1);
    roi_h = roi_h > A(1) ? roi_h : A(1);
  }
  b.bin_h = roi_h / static_cast<A>(pooled_h);
  b.bin_w = roi_w / static_cast<A>(pooled_w);
  b.finite = std::isfinite(b.start_h) && std::isfinite(b.start_w) && std::isfinite(end_h) &&
             std::isfinite(end_w) && std::isfinite(roi_h) && std::isfinite(roi_w);
  if (!b.finite) {
    b.grid_h = b.grid_w = 0;
    b.count = A(1);
    return b;
  }
  b.grid_h = AdaptiveGrid(roi_h, pooled_h, sampling_ratio);
  b.grid_w = AdaptiveGrid(roi_w, pooled_w, sampling_ratio);
  const int64_t n = b.grid_h * b.grid_w;
  b.count = static_cast<A>(n > 1 ? n : 1);
  return b;
}

// Coordinate of sample `i` of bin `p` along one axis, in torchvision's order
// of operations (start + p * bin + (i + .5) * bin / grid) so that results
// round the same way.
template <typename A>
ORT_ROI_HD A SampleCoord(A start, A bin, int64_t p, int64_t i, int64_t grid) {
  return start + static_cast<A>(p) * bin +
         static_cast<A>(static_cast<float>(i) + .5f) * bin / static_cast<A>(grid);
}

}  // namespace ort_roi
