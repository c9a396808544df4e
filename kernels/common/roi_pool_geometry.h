// Bin bounds of RoIPool (max pooling over integer pixel ranges), shared by the
// CPU and CUDA kernels. `A` is the accumulation type (float or double).
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace ort_roi {

template <typename A>
struct RoIPoolBox {
  int64_t start_h, start_w;  // rounded roi corner on the feature map
  A bin_h, bin_w;
  bool finite;  // false: NaN or infinite coordinates; output zeros
};

// Rounded coordinates are clamped to this magnitude before the integer
// conversion, so absurd boxes cannot overflow; anything within it is exact.
constexpr double kMaxPoolCoord = 1 << 30;

template <typename A>
ORT_ROI_HD int64_t RoundCoord(A v) {
  // std::round rounds half away from zero, as torchvision does.
  const A r = std::round(v);
  if (r > static_cast<A>(kMaxPoolCoord)) return static_cast<int64_t>(kMaxPoolCoord);
  if (r < static_cast<A>(-kMaxPoolCoord)) return -static_cast<int64_t>(kMaxPoolCoord);
  return static_cast<int64_t>(r);
}

// The roi rounded to the feature map's pixels. RoIPool counts the end pixel:
// a side is max(end - start + 1, 1) pixels; PSRoIPool does not
// (MakePSRoIPoolBox), max(end - start, 1). Either way an inverted box still
// covers one pixel, as in torchvision. `roi` points at x1, y1, x2, y2 (already
// loaded into A).
template <typename A>
ORT_ROI_HD RoIPoolBox<A> MakeRoIPoolBox(const A* roi, A spatial_scale, int64_t pooled_h,
                                        int64_t pooled_w, bool inclusive_end = true) {
  RoIPoolBox<A> b;
  const A x1 = roi[0] * spatial_scale, y1 = roi[1] * spatial_scale;
  const A x2 = roi[2] * spatial_scale, y2 = roi[3] * spatial_scale;
  b.finite = std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2);
  if (!b.finite) {
    b.start_h = b.start_w = 0;
    b.bin_h = b.bin_w = A(0);
    return b;
  }
  b.start_w = RoundCoord(x1);
  b.start_h = RoundCoord(y1);
  const int64_t extra = inclusive_end ? 1 : 0;
  const int64_t roi_w = RoundCoord(x2) - b.start_w + extra;
  const int64_t roi_h = RoundCoord(y2) - b.start_h + extra;
  b.bin_h = static_cast<A>(roi_h > 1 ? roi_h : 1) / static_cast<A>(pooled_h);
  b.bin_w = static_cast<A>(roi_w > 1 ? roi_w : 1) / static_cast<A>(pooled_w);
  return b;
}

// Pixel range [begin, end) of bin `p` along one axis, clipped to [0, size].
template <typename A>
ORT_ROI_HD void RoIPoolBinRange(int64_t start, A bin, int64_t p, int64_t size, int64_t* begin,
                                int64_t* end) {
  int64_t b = static_cast<int64_t>(std::floor(static_cast<A>(p) * bin)) + start;
  int64_t e = static_cast<int64_t>(std::ceil(static_cast<A>(p + 1) * bin)) + start;
  b = b < 0 ? 0 : (b > size ? size : b);
  e = e < 0 ? 0 : (e > size ? size : e);
  *begin = b;
  *end = e;
}

}  // namespace ort_roi
