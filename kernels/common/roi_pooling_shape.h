// The shape of a single-map roi pooling call (RoIAlign, RoIPool, PSRoIAlign,
// PSRoIPool): x [N, C, H, W] and rois [K, 5]. All four read the same five
// numbers, so one struct serves them and the binding that fills it; and the
// attributes all four have.
#pragma once

#include <cstdint>

namespace ort_roi {

// `channels` is the input's C; the position-sensitive ops output fewer.
struct RoIPoolingShape {
  int64_t batch, channels, height, width, num_rois;
};

// Each op's params derive from this and add their own attributes.
struct RoIPoolingParams {
  int64_t output_height = 0;  // required
  int64_t output_width = 0;   // required
  // The double the exporter meant (ShortestDecimal of the float32 attribute):
  // kernels use static_cast<A>(spatial_scale), as torchvision casts its double.
  double spatial_scale = 1.0;
};

}  // namespace ort_roi
