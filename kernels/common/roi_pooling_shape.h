// The shape of a single-map roi pooling call (RoIAlign, RoIPool, PSRoIAlign,
// PSRoIPool): x [N, C, H, W] and rois [K, 5]. All four read the same five
// numbers, so one struct serves them and the binding that fills it.
#pragma once

#include <cstdint>

namespace ort_roi {

// `channels` is the input's C; the position-sensitive ops output fewer.
struct RoIPoolingShape {
  int64_t batch, channels, height, width, num_rois;
};

}  // namespace ort_roi
