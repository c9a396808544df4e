// RoIAlign's CPU pooling, shared by RoIAlign and MultiScaleRoIAlign: the two
// differ only in which feature map and scale a roi is pooled from. (The CUDA
// kernels share roi_align_geometry.h instead.)
//
// A map is pooled either as it comes (NCHW, one channel at a time) or from a
// channels-last copy (nhwc.h) whose channels the vector variants add at once
// (roi_align_channels_last.h); ChannelsLastPays picks. Both add every
// channel's samples in torchvision's order: the same numbers either way, at
// every vector level.
#pragma once

#include <cstdint>

#include "half.h"
#include "nhwc.h"
#include "parallel.h"

namespace ort_roi {

// What every roi of a node shares.
struct RoIAlignPooling {
  int64_t pooled_h, pooled_w;
  int64_t sampling_ratio;  // <= 0: adaptive
  bool aligned;
};

// Whether copying maps of `pixels` pixels in all to channels-last pays for
// pooling `rois` rois of `bins` bins each from them.
bool ChannelsLastPays(int64_t rois, int64_t bins, int64_t pixels);

// A feature map: [batch, channels, height, width].
template <typename T>
struct RoIAlignMap {
  const T* data;
  int64_t batch, channels, height, width;
};

// Pools the rois roi_index[0 .. count) (rois 0 .. count - 1 when roi_index is
// null) of `rois` ([K, 5] rows: batch index, x1, y1, x2, y2; batch indices
// already checked) from `map` at `spatial_scale` into their rows of y
// ([K, channels, pooled_h, pooled_w]). A roi with a non-finite coordinate
// gives zeros.
//
// When ChannelsLastPays, the map is pooled a block of channels at a time:
// the block is copied to channels-last (into `scratch`: the images the rois
// read, at most a few cache lines a pixel) and every roi pooled from it,
// with the vector level ActiveIsa() names, while it is still in cache.
template <typename T>
void RoIAlignRois(const RoIAlignPooling& p, const RoIAlignMap<T>& map, const T* rois,
                  typename Acc<T>::type spatial_scale, const int64_t* roi_index, int64_t count,
                  T* y, const ParallelFor& parallel_for, const HostScratch& scratch);

}  // namespace ort_roi
