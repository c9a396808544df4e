// Bilinear sampling along one axis, exactly as torchvision's roi_align kernels
// sample: a sample outside [-1, size] contributes nothing, one at or below 0
// reads row 0, and one past the last row reads the last row alone.
//
// Sampling is separable: torchvision's 2-D weights are the products of two
// AxisTaps (w1 = hy*hx, ...), and its "zero if y or x is out of range" is the
// product of the two `valid` flags. Keeping the axes apart lets a kernel sum a
// bin as sum_r rowweight[r] * sum_c colweight[c] * X[r, c].
#pragma once

#include "host_device.h"

namespace ort_roi {

template <typename A>
struct AxisTap {
  int low;
  int high;
  A w_low;   // weight of `low` (torchvision's hy / hx)
  A w_high;  // weight of `high` (torchvision's ly / lx)
  bool valid;
};

template <typename A>
ORT_ROI_HD AxisTap<A> BilinearAxisTap(A coord, int size) {
  AxisTap<A> t{0, 0, A(0), A(0), false};
  // Written as a negated range test so that a NaN coordinate is "outside".
  if (!(coord >= A(-1) && coord <= A(size))) return t;
  if (coord <= A(0)) coord = A(0);
  int low = static_cast<int>(coord);
  int high;
  if (low >= size - 1) {
    low = high = size - 1;
    coord = static_cast<A>(low);
  } else {
    high = low + 1;
  }
  const A frac = coord - static_cast<A>(low);
  t.low = low;
  t.high = high;
  t.w_low = A(1) - frac;
  t.w_high = frac;
  t.valid = true;
  return t;
}

}  // namespace ort_roi
