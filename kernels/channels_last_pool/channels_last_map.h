// The feature map copied channels-last, once per call, for the pooling
// kernels of channels_last_pool.h; and when that copy pays.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "common/roi_pooling_shape.h"

namespace ort_roi {

// x [N, C, H, W] as [N, H, W, bins, C / bins] into `out` (as many elements as
// x): input channel c * bins + b goes to position b * (C / bins) + c of its
// pixel. bins = 1 is plain NHWC. The copy is the extra memory of a call,
// written once, never initialised first.
template <typename T>
void ToChannelsLast(const T* x, const RoIPoolingShape& s, int64_t bins, T* out,
                    const ParallelFor& parallel_for);

// Whether the copy pays: the channel-major kernels cost little more than the
// copy when the rois, together, cover less than about a quarter of the maps.
// `covered` is the sum of the rois' pixel areas on the map (clipped).
inline bool WorthChannelsLast(double covered, const RoIPoolingShape& s) {
  return covered * 4 >= static_cast<double>(s.batch) * static_cast<double>(s.height * s.width);
}

// The order in which to pool the rois: by image, then top edge. Rois that
// are pooled one after the other then read neighbouring rows of the copy,
// and each thread's share of it stays in its cache. NaN edges count as 0.
template <typename T>
std::vector<int64_t> RoiOrder(const T* rois, int64_t num_rois) {
  std::vector<double> key(static_cast<size_t>(num_rois));
  for (int64_t k = 0; k < num_rois; ++k) {
    const double batch = static_cast<double>(Load<float>(rois[k * 5]));
    const double top = static_cast<double>(Load<float>(rois[k * 5 + 2]));
    key[k] = batch * 1e12 + (std::isnan(top) ? 0.0 : std::max(-1e11, std::min(1e11, top)));
  }
  std::vector<int64_t> order(static_cast<size_t>(num_rois));
  for (int64_t k = 0; k < num_rois; ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return key[a] < key[b]; });
  return order;
}

}  // namespace ort_roi
