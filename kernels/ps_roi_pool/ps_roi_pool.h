// PSRoIPool (torchvision.ops.ps_roi_pool): position-sensitive roi pooling.
// Output channel c, bin (ph, pw) is the average of input channel
// (c * output_height + ph) * output_width + pw over the bin's pixels.
#pragma once

#include <cstdint>

#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/roi_pooling_shape.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct PSRoIPoolParams : RoIPoolingParams {};

// Shapes, types, attributes and the channel split; batch indices are checked
// by CheckRoisBatchIndex.
Status CheckPSRoIPool(const PSRoIPoolParams& p, const TensorDesc& x, const TensorDesc& rois);

// x: [N, C * output_height * output_width, H, W] (s.channels is that
// product); rois: [K, 5]; y: [K, C, output_height, output_width].
// T is float, double or Half. Empty bins and rois with non-finite coordinates
// give zeros.
template <typename T>
void PSRoIPoolCpu(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for,
                  const HostScratch& scratch = nullptr);

// The same on device pointers, launched on `stream` (a cudaStream_t); only in
// a build with CUDA. A roi whose batch index is not a whole number in [0, N)
// gives zeros (see ps_roi_pool_cuda_body.h).
template <typename T>
Status PSRoIPoolCuda(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x,
                     const T* rois, T* y, void* stream);

}  // namespace ort_roi
