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

// Channels per block of RoIPool's plain copy (bins = 1). A large image's
// copy cannot stay in cache while each roi reads its pixels in all channels,
// one roi after the other; cut into blocks of 256 bytes of channels (64
// floats), [block][N, H, W, channels of the block], one block is read by
// every roi before the next, and the block stays in cache. Measured on Zen 4
// (32 MiB L3), float, 1,000 rois, ms whole / 64 channels a block: FPN P2
// 256x200x272 (55 MB) 98-112 / 42-45, P3 256x100x136 (14 MB) 18.4 / 14.2,
// 2048x25x34 (7 MB) 40.7 / 46.9, Fast R-CNN's 512x38x50 (4 MB) 12-14 / 13-14;
// 16 or 32 channels a block did worse on the small maps. Hence only images
// of more than 8 MiB are cut.
constexpr int64_t kPlainCopyCutBytes = int64_t{8} << 20;
constexpr int64_t kPlainCopyBlockBytes = 256;

template <typename T>
int64_t PlainCopyBlock(const RoIPoolingShape& s) {
  const int64_t bytes = static_cast<int64_t>(sizeof(T));
  if (s.channels * s.height * s.width * bytes <= kPlainCopyCutBytes) return s.channels;
  return std::min(s.channels, kPlainCopyBlockBytes / bytes);
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
