// RoIPool (torchvision.ops.roi_pool): max over the integer pixels of each bin.
#pragma once

#include <cstdint>

#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/roi_pooling_shape.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct RoIPoolParams : RoIPoolingParams {};

// Shapes, types and attributes; batch indices are checked by CheckRoisBatchIndex.
Status CheckRoIPool(const RoIPoolParams& p, const TensorDesc& x, const TensorDesc& rois);

// x: [N, C, H, W]; rois: [K, 5]; y: [K, C, output_height, output_width].
// T is float, double or Half. Empty bins and rois with non-finite coordinates
// give zeros.
template <typename T>
void RoIPoolCpu(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                const ParallelFor& parallel_for,
                const HostScratch& scratch = nullptr);

// The same on device pointers, launched on `stream` (a cudaStream_t); only in
// a build with CUDA. A roi whose batch index is not a whole number in [0, N)
// gives zeros (see roi_pool_cuda_body.h).
template <typename T>
Status RoIPoolCuda(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                   T* y, void* stream);

}  // namespace ort_roi
