// The per-thread body of MultiScaleRoIAlign's CUDA kernel, compiled for the
// device by nvcc and for the host by the CPU build, whose tests run it over
// the whole launch grid (kernels/testing/host_grid_multi_scale_roi_align.cc)
// against torchvision.
//
// One fused kernel, laid out as RoIAlign's: one thread per bin (roi, ph, pw)
// and block of channels, writing output rows in roi order. Each thread maps
// its roi to a level (ThresholdLevel, which gives the CPU's MapLevel without
// a device log2) and pools it from that level's map with RoIAlignBin.
#pragma once

#include <cstdint>

#include "common/half.h"
#include "common/host_device.h"
#include "common/level_mapper.h"
#include "multi_scale_roi_align/multi_scale_roi_align.h"
#include "roi_align/roi_align_cuda_body.h"

namespace ort_roi {

// The most feature maps the CUDA kernel takes: they travel in the kernel's
// arguments (see MultiScaleRoIAlignCudaArgs). FPN detectors use 4 or 5.
constexpr int64_t kMultiScaleCudaMaxLevels = kMaxLevelThresholds;
constexpr int64_t kMultiScaleRoIAlignCudaChannels = 8;  // channels per thread (RoIAlignBin)

// Everything a thread needs, passed to the kernel by value: the maps' device
// pointers and shapes need no device array (no allocation, no copy).
template <typename T>
struct MultiScaleRoIAlignCudaArgs {
  using A = typename Acc<T>::type;
  int64_t output_height, output_width, sampling_ratio;
  bool aligned;
  int64_t batch, channels, num_rois;
  int64_t num_levels;
  const T* x[kMultiScaleCudaMaxLevels];  // level l's map [batch, channels, height[l], width[l]]
  int64_t height[kMultiScaleCudaMaxLevels], width[kMultiScaleCudaMaxLevels];
  A scale[kMultiScaleCudaMaxLevels];  // spatial_scales[l] in A, as the CPU kernel uses it
  LevelThresholds<A> levels;
};

// Host only: the arguments of one call. Requires s.heights.size() <=
// kMultiScaleCudaMaxLevels (CheckMultiScaleRoIAlignCuda).
template <typename T>
MultiScaleRoIAlignCudaArgs<T> MakeMultiScaleRoIAlignCudaArgs(const MultiScaleRoIAlignParams& p,
                                                             const MultiScaleRoIAlignShape& s,
                                                             const T* const* x) {
  using A = typename Acc<T>::type;
  MultiScaleRoIAlignCudaArgs<T> a{};
  a.output_height = p.output_height;
  a.output_width = p.output_width;
  a.sampling_ratio = p.sampling_ratio;
  a.aligned = p.aligned != 0;
  a.batch = s.batch;
  a.channels = s.channels;
  a.num_rois = s.num_rois;
  a.num_levels = static_cast<int64_t>(s.heights.size());
  for (int64_t l = 0; l < a.num_levels; ++l) {
    a.x[l] = x[l];
    a.height[l] = s.heights[l];
    a.width[l] = s.widths[l];
    a.scale[l] = static_cast<A>(p.spatial_scales[l]);
  }
  a.levels = MakeLevelThresholds<A>(LevelMappingOf(p));
  return a;
}

template <typename T>
ORT_ROI_HD BinGrid MultiScaleRoIAlignCudaGrid(const MultiScaleRoIAlignCudaArgs<T>& a) {
  return BinGrid{a.num_rois, a.channels, kMultiScaleRoIAlignCudaChannels, a.output_height,
                 a.output_width};
}

template <typename T>
ORT_ROI_HD int64_t MultiScaleRoIAlignCudaThreads(const MultiScaleRoIAlignCudaArgs<T>& a) {
  return MultiScaleRoIAlignCudaGrid(a).threads();
}

// Thread `index` of MultiScaleRoIAlignCudaThreads(a). A roi that maps to no
// level (negative or NaN area) or whose batch index is not a whole number in
// [0, N) gives zeros; so does a non-finite box (RoIAlignBin).
template <typename T>
ORT_ROI_HD void MultiScaleRoIAlignCudaThread(const MultiScaleRoIAlignCudaArgs<T>& a, const T* rois,
                                             T* y, int64_t index) {
  using A = typename Acc<T>::type;
  const int64_t ow = a.output_width, oh = a.output_height;
  const BinThread t = ThreadAt(MultiScaleRoIAlignCudaGrid(a), index);
  const T* r = rois + 5 * t.k;
  const A roi[4] = {Load<A>(r[1]), Load<A>(r[2]), Load<A>(r[3]), Load<A>(r[4])};
  // One level: torchvision pools every roi from it, whatever its area.
  const int64_t l = a.num_levels == 1 ? 0 : ThresholdLevel(roi, a.levels);
  const int64_t n = l < 0 ? -1 : ValidBatchIndex(Load<A>(r[0]), a.batch);
  const int64_t m = l < 0 ? 0 : l;  // n < 0 reads no map: any level's shape will do
  const int64_t bins = oh * ow;
  RoIAlignBin<kMultiScaleRoIAlignCudaChannels>(
      roi, n, a.scale[m], a.aligned, a.sampling_ratio, oh, ow, t.ph, t.pw, a.x[m], a.channels,
      a.height[m], a.width[m], t.c0, y + (t.k * a.channels + t.c0) * bins + t.ph * ow + t.pw,
      bins);
}

}  // namespace ort_roi
