// MultiScaleRoIAlign's CUDA thread body on the host (see host_grid.h), with
// the kernel arguments built as the launcher builds them.
#include <vector>

#include "common/float_attribute.h"
#include "multi_scale_roi_align/multi_scale_roi_align_cuda_body.h"
#include "testing/host_grid.h"

using namespace ort_roi;  // NOLINT: entry points only

// shape: N, C, K (rois [K, 5]); level l's map x[l] is [N, C, heights[l],
// widths[l]]. Returns -2 for a number of levels the kernel does not take
// (the binding refuses it with CheckMultiScaleRoIAlignCuda).
ORT_ROI_HOST_GRID_API int ort_roi_host_multi_scale_roi_align(
    int type, int64_t levels, const int64_t* shape, const int64_t* heights, const int64_t* widths,
    int64_t output_height, int64_t output_width, int64_t sampling_ratio, const float* scales,
    int64_t canonical_scale, int64_t canonical_level, int64_t aligned, const void* const* x,
    const void* rois, void* y) {
  if (levels < 1 || levels > kMultiScaleCudaMaxLevels) return -2;
  MultiScaleRoIAlignParams p;
  p.output_height = output_height;
  p.output_width = output_width;
  p.sampling_ratio = sampling_ratio;
  for (int64_t l = 0; l < levels; ++l) p.spatial_scales.push_back(ShortestDecimal(scales[l]));
  p.canonical_scale = canonical_scale;
  p.canonical_level = canonical_level;
  p.aligned = aligned;
  const MultiScaleRoIAlignShape s{shape[0], shape[1], shape[2],
                                  std::vector<int64_t>(heights, heights + levels),
                                  std::vector<int64_t>(widths, widths + levels)};
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    std::vector<const T*> maps;
    for (int64_t l = 0; l < levels; ++l) maps.push_back(static_cast<const T*>(x[l]));
    const MultiScaleRoIAlignCudaArgs<T> a = MakeMultiScaleRoIAlignCudaArgs(p, s, maps.data());
    RunGrid(MultiScaleRoIAlignCudaThreads(a), [&](int64_t i) {
      MultiScaleRoIAlignCudaThread(a, static_cast<const T*>(rois), static_cast<T*>(y), i);
    });
  });
}
