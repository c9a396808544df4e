// Geometry of the position-sensitive roi ops (PSRoIAlign, PSRoIPool), shared
// by the CPU and CUDA kernels. Both read, for output channel c and bin
// (ph, pw), the input channel (c * pooled_h + ph) * pooled_w + pw.
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"
#include "roi_align_geometry.h"
#include "roi_pool_geometry.h"

namespace ort_roi {

ORT_ROI_HD int64_t PSInputChannel(int64_t c, int64_t ph, int64_t pw, int64_t pooled_h,
                                  int64_t pooled_w) {
  return (c * pooled_h + ph) * pooled_w + pw;
}

// Output channels of an input that passed CheckPositionSensitiveChannels.
// With no input channels the product is not formed: the check bounds it
// only when there are channels, and it may overflow otherwise.
ORT_ROI_HD int64_t PSOutputChannels(int64_t channels, int64_t pooled_h, int64_t pooled_w) {
  return channels == 0 ? 0 : channels / (pooled_h * pooled_w);
}

// torchvision's signed grid: ceil(roi_size / pooled) converted to int, so an
// inverted box gives a negative grid (no samples) rather than zero. `bin` is
// roi_size / pooled, the same expression. Capped like AdaptiveGrid.
template <typename A>
ORT_ROI_HD int64_t PSSignedGrid(A bin, int64_t sampling_ratio) {
  if (sampling_ratio > 0) return sampling_ratio;
  const A g = std::ceil(bin);
  if (g >= static_cast<A>(kMaxSamplingGrid)) return kMaxSamplingGrid;
  if (g <= static_cast<A>(-kMaxSamplingGrid)) return -kMaxSamplingGrid;
  return static_cast<int64_t>(g);
}

// PSRoIAlign samples exactly as RoIAlign with aligned=True does (start at
// roi * scale - 0.5, no minimum roi size, same sampling points), but divides
// each bin's sum by grid_h * grid_w with the signs and without the clamp to
// 1. So, as in torchvision, an adaptive grid of 0 on either side (a box of
// zero or slightly negative size) gives 0 / 0 = NaN, and a box inverted on
// one side only gives -0. Parity with torchvision is kept on purpose here:
// a model's NaN must be the same NaN in PyTorch and ONNX Runtime.
// `roi` points at x1, y1, x2, y2 (already loaded into A).
template <typename A>
ORT_ROI_HD RoIAlignBox<A> MakePSRoIAlignBox(const A* roi, A spatial_scale, int64_t pooled_h,
                                            int64_t pooled_w, int64_t sampling_ratio) {
  RoIAlignBox<A> b =
      MakeRoIAlignBox(roi, spatial_scale, /*aligned=*/true, pooled_h, pooled_w, sampling_ratio);
  if (!b.finite) return b;
  // Both factors are within +-kMaxSamplingGrid, so the product fits.
  b.count = static_cast<A>(PSSignedGrid(b.bin_h, sampling_ratio) *
                           PSSignedGrid(b.bin_w, sampling_ratio));
  return b;
}

// PSRoIPool rounds like RoIPool, but its roi size is max(end - start, 1),
// without RoIPool's + 1.
template <typename A>
ORT_ROI_HD RoIPoolBox<A> MakePSRoIPoolBox(const A* roi, A spatial_scale, int64_t pooled_h,
                                          int64_t pooled_w) {
  return MakeRoIPoolBox(roi, spatial_scale, pooled_h, pooled_w, /*inclusive_end=*/false);
}

// Pixel range [begin, end) of PSRoIPool bin `p`. torchvision clips both ends
// to [0, size - 1], not [0, size]: the last row and column of the map are
// never pooled, and a 1-pixel axis gives empty bins (output 0).
template <typename A>
ORT_ROI_HD void PSRoIPoolBinRange(int64_t start, A bin, int64_t p, int64_t size, int64_t* begin,
                                  int64_t* end) {
  RoIPoolBinRange(start, bin, p, size - 1, begin, end);
}

}  // namespace ort_roi
