// Bilinear sampling of deformable convolution, exactly as torchvision's
// deform_conv2d kernels sample. It differs from RoIAlign's (bilinear.h): a
// point is dropped only when y <= -1 or y >= H (or x likewise), nothing is
// clamped, and each of the four corners that lies outside the map reads 0.
//
// The taps of a point are the same for every channel that shares its offsets,
// so kernels compute them once and apply them channel after channel.
#pragma once

#include <cmath>
#include <cstdint>

#include "half.h"
#include "host_device.h"

namespace ort_roi {

// Corner k is at element index[k] of a [H, W] plane, or index[k] < 0 when it
// lies outside the plane and reads 0. Corners are in torchvision's order:
// (low, low), (low, high), (high, low), (high, high) as (row, column).
template <typename A>
struct DeformTap {
  int64_t index[4];
  A weight[4];
};

template <typename A>
ORT_ROI_HD DeformTap<A> MakeDeformTap(A y, A x, int64_t height, int64_t width) {
  DeformTap<A> t;
  for (int k = 0; k < 4; ++k) {
    t.index[k] = -1;
    t.weight[k] = A(0);
  }
  // Written as a negated range test so that a NaN coordinate (undefined in
  // torchvision, whose floor of NaN indexes anywhere) reads as outside.
  if (!(y > A(-1) && y < static_cast<A>(height) && x > A(-1) && x < static_cast<A>(width))) {
    return t;
  }
  const int64_t y_low = static_cast<int64_t>(std::floor(y));
  const int64_t x_low = static_cast<int64_t>(std::floor(x));
  const int64_t y_high = y_low + 1, x_high = x_low + 1;
  const A ly = y - static_cast<A>(y_low), lx = x - static_cast<A>(x_low);
  const A hy = A(1) - ly, hx = A(1) - lx;
  const bool top = y_low >= 0, bottom = y_high <= height - 1;
  const bool left = x_low >= 0, right = x_high <= width - 1;
  t.weight[0] = hy * hx;
  t.weight[1] = hy * lx;
  t.weight[2] = ly * hx;
  t.weight[3] = ly * lx;
  if (top && left) t.index[0] = y_low * width + x_low;
  if (top && right) t.index[1] = y_low * width + x_high;
  if (bottom && left) t.index[2] = y_high * width + x_low;
  if (bottom && right) t.index[3] = y_high * width + x_high;
  return t;
}

// torchvision's sum w1*v1 + w2*v2 + w3*v3 + w4*v4 in its order, with an
// outside corner's value 0 (so a non-finite pixel elsewhere cannot leak in
// through a zero weight). `plane` is where index 0 points; its values are
// read as A (float16 widened to float).
template <typename A, typename T>
ORT_ROI_HD A SampleDeformTap(const DeformTap<A>& t, const T* plane) {
  const A v1 = t.index[0] >= 0 ? Load<A>(plane[t.index[0]]) : A(0);
  const A v2 = t.index[1] >= 0 ? Load<A>(plane[t.index[1]]) : A(0);
  const A v3 = t.index[2] >= 0 ? Load<A>(plane[t.index[2]]) : A(0);
  const A v4 = t.index[3] >= 0 ? Load<A>(plane[t.index[3]]) : A(0);
  return t.weight[0] * v1 + t.weight[1] * v2 + t.weight[2] * v3 + t.weight[3] * v4;
}

}  // namespace ort_roi
