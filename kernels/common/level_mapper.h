// Which pyramid level a roi is pooled from: torchvision's LevelMapper (eq. 1
// of the FPN paper), shared by the CPU and CUDA kernels of MultiScaleRoIAlign.
//
// torchvision computes the mapping step by step in the boxes' dtype (float16
// boxes upcast to float32 by box_area):
//   level = floor(canonical_level + log2(sqrt(area) / canonical_scale) + 1e-6)
// clamped to [k_min, k_max], index = level - k_min. Every step below is done
// in the accumulation type `A` (float for float16) in that order, so a box
// maps where torchvision maps it, up to the last ulp.
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace ort_roi {

// log2 rounded to A. For float it goes through double: torch's float32 log2
// is (almost always) correctly rounded, libm's log2f is off by an ulp more
// often, and an ulp decides the level of a box near a level boundary.
template <typename A>
ORT_ROI_HD A RoundedLog2(A v) {
  return static_cast<A>(std::log2(static_cast<double>(v)));
}

// The pyramid level k of a map at `scale` = 2^-k: torchvision's
// int(-log2(float32(scale))), which truncates toward zero. `scale` must be
// finite and positive.
ORT_ROI_HD int64_t PyramidLevel(float scale) {
  return static_cast<int64_t>(-RoundedLog2(scale));
}

struct LevelMapping {
  int64_t k_min;  // level of the finest map, PyramidLevel(spatial_scales[0])
  int64_t k_max;  // level of the coarsest map, PyramidLevel(spatial_scales[L - 1])
  int64_t canonical_scale;
  int64_t canonical_level;
  int64_t num_levels;  // L
};

// Index in [0, num_levels) of the map that pools the box (x1, y1, x2, y2, in
// input-image coordinates), or -1 when torchvision pools it from none and
// leaves its output zero: a negative or NaN area (the level is NaN), or an
// index past the last map (torchvision's clamp allows that when the scales
// skip a level), or k_min > k_max.
template <typename A>
ORT_ROI_HD int64_t MapLevel(const A* box, const LevelMapping& m) {
  const A area = (box[2] - box[0]) * (box[3] - box[1]);
  const A size = std::sqrt(area);
  // Zero area gives log2(0) = -inf, clamped to the finest level, as in torchvision.
  A level = static_cast<A>(m.canonical_level) + RoundedLog2(size / static_cast<A>(m.canonical_scale));
  level = std::floor(level + static_cast<A>(1e-6));
  if (!(level == level)) return -1;  // NaN
  // torch.clamp(x, min, max) is min(max(x, min), max): max wins over min.
  if (level < static_cast<A>(m.k_min)) level = static_cast<A>(m.k_min);
  if (level > static_cast<A>(m.k_max)) level = static_cast<A>(m.k_max);
  const int64_t index = static_cast<int64_t>(level) - m.k_min;
  return index >= 0 && index < m.num_levels ? index : -1;
}

}  // namespace ort_roi
