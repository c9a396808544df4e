// RoIAlign (torchvision.ops.roi_align): average of bilinear samples per bin.
#pragma once

#include <cstdint>

#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/roi_pooling_shape.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct RoIAlignParams : RoIPoolingParams {
  int64_t sampling_ratio = -1;  // <= 0: adaptive, ceil(roi_size / output_size)
  int64_t aligned = 0;          // 1: shift by half a pixel (torchvision aligned=True)
};

// Shapes, types and attributes. The batch indices are checked separately
// (CheckRoisBatchIndex) because they live in the rois' memory.
Status CheckRoIAlign(const RoIAlignParams& p, const TensorDesc& x, const TensorDesc& rois);

// x: [N, C, H, W]; rois: [K, 5]; y: [K, C, output_height, output_width].
// T is float, double or Half. Rois with non-finite coordinates give zeros.
// `scratch` may give the channels-last copy of X (at most X's size).
template <typename T>
void RoIAlignCpu(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                 const ParallelFor& parallel_for, const HostScratch& scratch = nullptr);

// The same on device pointers, launched on `stream` (a cudaStream_t); only in
// a build with CUDA. A roi whose batch index is not a whole number in [0, N)
// gives zeros (see roi_align_cuda_body.h).
template <typename T>
Status RoIAlignCuda(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                    T* y, void* stream);

}  // namespace ort_roi
