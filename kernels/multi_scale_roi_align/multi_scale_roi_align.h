// MultiScaleRoIAlign (torchvision.ops.MultiScaleRoIAlign): each roi is pooled
// with RoIAlign from the one pyramid level torchvision's LevelMapper picks
// for it, in a single pass over the rois (no per-level gather or scatter).
#pragma once

#include <cstdint>
#include <vector>

#include "common/level_mapper.h"
#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct MultiScaleRoIAlignParams {
  int64_t output_height = 0;  // required
  int64_t output_width = 0;   // required
  int64_t sampling_ratio = -1;  // <= 0: adaptive, ceil(roi_size / output_size)
  // Required, one per level, finest first: the doubles the exporter meant
  // (ShortestDecimal of the float32 attribute), as for the single-map ops.
  // Kernels use static_cast<A>(scale) for the rois and float32(scale) for the
  // level mapping, as torchvision does.
  std::vector<double> spatial_scales;
  int64_t canonical_scale = 224;
  int64_t canonical_level = 4;
  int64_t aligned = 0;
};

// torchvision's level mapping for these attributes: the pyramid levels of
// the first and last maps from their float32 scales (level_mapper.h).
inline LevelMapping LevelMappingOf(const MultiScaleRoIAlignParams& p) {
  return LevelMapping{PyramidLevel(static_cast<float>(p.spatial_scales.front())),
                      PyramidLevel(static_cast<float>(p.spatial_scales.back())),
                      p.canonical_scale, p.canonical_level,
                      static_cast<int64_t>(p.spatial_scales.size())};
}

// rois: [K, 5]; x[l]: [N, C, heights[l], widths[l]]; y: [K, C, output_height, output_width].
struct MultiScaleRoIAlignShape {
  int64_t batch, channels, num_rois;
  std::vector<int64_t> heights, widths;
};

// Shapes, types and attributes; `x` holds X_0 ... X_{L-1}. The batch indices
// are checked separately (CheckRoisBatchIndex).
Status CheckMultiScaleRoIAlign(const MultiScaleRoIAlignParams& p, const TensorDesc& rois,
                               const std::vector<TensorDesc>& x);

// T is float, double or Half; x[l] points at level l's map. Rois that map to
// no level (negative or NaN area) and rois with non-finite coordinates give
// zeros. With one level every roi is pooled from it (torchvision then calls
// roi_align directly, without the level mapper). `scratch` may give the
// channels-last copy of a level (at most the largest level's size).
template <typename T>
void MultiScaleRoIAlignCpu(const MultiScaleRoIAlignParams& p, const MultiScaleRoIAlignShape& s,
                           const T* const* x, const T* rois, T* y, const ParallelFor& parallel_for,
                           const HostScratch& scratch = nullptr);

// What the CUDA kernel adds to CheckMultiScaleRoIAlign: at most
// kMultiScaleCudaMaxLevels (8) feature maps, whose pointers and shapes travel
// in the kernel's arguments.
Status CheckMultiScaleRoIAlignCuda(size_t levels);

// The same on device pointers (x: a host array of L device pointers),
// launched on `stream` (a cudaStream_t); only in a build with CUDA. A roi
// whose batch index is not a whole number in [0, N) gives zeros (see
// multi_scale_roi_align_cuda_body.h).
template <typename T>
Status MultiScaleRoIAlignCuda(const MultiScaleRoIAlignParams& p, const MultiScaleRoIAlignShape& s,
                              const T* const* x, const T* rois, T* y, void* stream);

}  // namespace ort_roi
