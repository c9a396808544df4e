// RoIAlign's per-roi work on the CPU, shared by RoIAlign and
// MultiScaleRoIAlign: the two differ only in which feature map and scale a
// roi is pooled from. (The CUDA kernels share roi_align_geometry.h instead.)
#pragma once

#include <algorithm>
#include <cstdint>

#include "axis_weights.h"
#include "half.h"
#include "roi_align_geometry.h"
#include "roi_tasks.h"

namespace ort_roi {

// What every roi of a node shares.
struct RoIAlignPooling {
  int64_t pooled_h, pooled_w;
  int64_t sampling_ratio;  // <= 0: adaptive
  bool aligned;
};

// One channel's bins, each divided by count.
template <typename T, typename A>
void PoolRoIAlignChannel(const T* xc, int64_t width, const AxisWeights<A>& rows,
                         const AxisWeights<A>& cols, int64_t pooled_h, int64_t pooled_w, A count,
                         T* out) {
  for (int64_t ph = 0; ph < pooled_h; ++ph) {
    for (int64_t pw = 0; pw < pooled_w; ++pw) {
      out[ph * pooled_w + pw] = Store<T>(WeightedBinSum(xc, width, rows, cols, ph, pw) / count);
    }
  }
}

// Pools channels [c_begin, c_end) of one roi into `out` ([c_end - c_begin,
// pooled_h, pooled_w]). `box` is x1, y1, x2, y2 in input-image coordinates;
// `image` is the roi's image, [C, height, width]. A box with a non-finite
// coordinate gives zeros.
template <typename T, typename A>
void PoolRoIAlignChannels(const RoIAlignPooling& p, const T* image, int64_t height, int64_t width,
                          const A* box, A spatial_scale, int64_t c_begin, int64_t c_end, T* out) {
  const int64_t bins = p.pooled_h * p.pooled_w;
  const RoIAlignBox<A> b =
      MakeRoIAlignBox(box, spatial_scale, p.aligned, p.pooled_h, p.pooled_w, p.sampling_ratio);
  if (!b.finite) {
    std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
    return;
  }
  AxisWeights<A> rows, cols;
  BuildAxisWeights(b.start_h, b.bin_h, b.grid_h, p.pooled_h, height, &rows);
  BuildAxisWeights(b.start_w, b.bin_w, b.grid_w, p.pooled_w, width, &cols);
  const int64_t plane = height * width;
  for (int64_t c = c_begin; c < c_end; ++c) {
    PoolRoIAlignChannel(image + c * plane, width, rows, cols, p.pooled_h, p.pooled_w, b.count,
                        out + (c - c_begin) * bins);
  }
}

}  // namespace ort_roi
