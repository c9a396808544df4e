// The feature map copied channels-last, once per call, for the pooling
// kernels of channels_last_pool.h; and when that copy pays.
#pragma once

#include <cstdint>
#include <memory>

#include "common/parallel.h"
#include "common/roi_pooling_shape.h"

namespace ort_roi {

// x [N, C, H, W] as [N, H, W, bins, C / bins]: input channel c * bins + b goes
// to position b * (C / bins) + c of its pixel. bins = 1 is plain NHWC. The
// copy is the extra memory of a call: as large as x, never initialised twice.
template <typename T>
std::unique_ptr<T[]> ToChannelsLast(const T* x, const RoIPoolingShape& s, int64_t bins,
                                    const ParallelFor& parallel_for);

// Whether the copy pays: the channel-major kernels cost little more than the
// copy when the rois, together, cover less than about a quarter of the maps.
// `covered` is the sum of the rois' pixel areas on the map (clipped).
inline bool WorthChannelsLast(double covered, const RoIPoolingShape& s) {
  return covered * 4 >= static_cast<double>(s.batch) * static_cast<double>(s.height * s.width);
}

}  // namespace ort_roi
