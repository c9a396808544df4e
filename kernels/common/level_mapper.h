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
#include <cstring>
#include <limits>

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

// sqrt(area) / canonical_scale of the box (x1, y1, x2, y2): the ratio whose
// log2 picks the level. Only correctly rounded operations (IEEE on the host
// and on a CUDA device alike), so both compute the same ratio. NaN when the
// area is negative or NaN.
template <typename A>
ORT_ROI_HD A LevelRatio(const A* box, int64_t canonical_scale) {
  const A area = (box[2] - box[0]) * (box[3] - box[1]);
  return std::sqrt(area) / static_cast<A>(canonical_scale);
}

// torchvision's level of a box of that ratio, clamped to [k_min, k_max];
// NaN for a NaN ratio.
template <typename A>
ORT_ROI_HD A ClampedLevel(A ratio, const LevelMapping& m) {
  // Zero area gives log2(0) = -inf, clamped to the finest level, as in torchvision.
  A level = static_cast<A>(m.canonical_level) + RoundedLog2(ratio);
  level = std::floor(level + static_cast<A>(1e-6));
  if (!(level == level)) return level;  // NaN
  // torch.clamp(x, min, max) is min(max(x, min), max): max wins over min.
  if (level < static_cast<A>(m.k_min)) level = static_cast<A>(m.k_min);
  if (level > static_cast<A>(m.k_max)) level = static_cast<A>(m.k_max);
  return level;
}

// Index in [0, num_levels) of the map that pools the box (x1, y1, x2, y2, in
// input-image coordinates), or -1 when torchvision pools it from none and
// leaves its output zero: a negative or NaN area (the level is NaN), or an
// index past the last map (torchvision's clamp allows that when the scales
// skip a level), or k_min > k_max.
template <typename A>
ORT_ROI_HD int64_t MapLevel(const A* box, const LevelMapping& m) {
  const A level = ClampedLevel(LevelRatio(box, m.canonical_scale), m);
  if (!(level == level)) return -1;
  const int64_t index = static_cast<int64_t>(level) - m.k_min;
  return index >= 0 && index < m.num_levels ? index : -1;
}

// MapLevel without log2, for the CUDA kernel. A CUDA device's log2 is not
// libm's (it may differ by an ulp), and an ulp decides the level of a box
// near a boundary. But MapLevel is a non-decreasing step function of the
// ratio, so it is fixed by the ratios where it steps up: the host finds them
// once per call with the host's own MapLevel (MakeLevelThresholds), and the
// device compares the ratio, computed with IEEE operations only, against
// them. Both then give the same index for every box.
constexpr int64_t kMaxLevelThresholds = 8;  // the number of maps this form serves

template <typename A>
struct LevelThresholds {
  A ratio[kMaxLevelThresholds];  // ratio[j]: the smallest ratio whose index is > j
  int64_t count;                 // ratios in use
  int64_t num_levels;            // L, or 0 when no box maps to a map (k_min > k_max)
  int64_t canonical_scale;
};

template <typename A>
ORT_ROI_HD int64_t ThresholdLevel(const A* box, const LevelThresholds<A>& t) {
  const A ratio = LevelRatio(box, t.canonical_scale);
  if (!(ratio == ratio)) return -1;  // NaN: no level
  int64_t index = 0;
  for (int64_t j = 0; j < t.count; ++j) index += ratio >= t.ratio[j] ? 1 : 0;
  return index < t.num_levels ? index : -1;
}

namespace level_detail {

template <typename A>
struct Bits;
template <>
struct Bits<float> {
  using type = uint32_t;
};
template <>
struct Bits<double> {
  using type = uint64_t;
};

}  // namespace level_detail

// Host only. Requires m.num_levels <= kMaxLevelThresholds. Each step is the
// least ratio r >= 0 with ClampedLevel(r) >= k_min + j + 1, found by
// bisection over the bit patterns of [+0, +inf] (which order non-negative
// floats as their values): 32 or 64 calls of the host's log2 per step. The
// ratio is NaN or in [-0, +inf] (a square root over a positive scale), and
// -0 maps as +0 does.
template <typename A>
LevelThresholds<A> MakeLevelThresholds(const LevelMapping& m) {
  using U = typename level_detail::Bits<A>::type;
  LevelThresholds<A> t{};
  t.canonical_scale = m.canonical_scale;
  t.num_levels = m.k_min <= m.k_max ? m.num_levels : 0;
  const int64_t steps = m.k_max - m.k_min < m.num_levels ? m.k_max - m.k_min : m.num_levels;
  t.count = steps > 0 ? steps : 0;
  const A inf = std::numeric_limits<A>::infinity();
  U top;
  std::memcpy(&top, &inf, sizeof top);
  for (int64_t j = 0; j < t.count; ++j) {
    const A target = static_cast<A>(m.k_min + j + 1);
    // ClampedLevel(+0) = k_min < target <= k_max = ClampedLevel(+inf).
    U lo = 0, hi = top;
    while (hi - lo > 1) {
      const U mid = lo + (hi - lo) / 2;
      A r;
      std::memcpy(&r, &mid, sizeof r);
      if (ClampedLevel(r, m) >= target) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    std::memcpy(&t.ratio[j], &hi, sizeof hi);
  }
  return t;
}

}  // namespace ort_roi
