// PSRoIAlign (torchvision.ops.ps_roi_align): position-sensitive RoIAlign.
// Output channel c, bin (ph, pw) averages bilinear samples of input channel
// (c * output_height + ph) * output_width + pw.
#pragma once

#include <cstdint>

#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/roi_pooling_shape.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct PSRoIAlignParams : RoIPoolingParams {
  int64_t sampling_ratio = -1;  // <= 0: adaptive, ceil(roi_size / output_size)
};

// Shapes, types, attributes and the channel split. The batch indices are
// checked separately (CheckRoisBatchIndex) because they live in the rois' memory.
Status CheckPSRoIAlign(const PSRoIAlignParams& p, const TensorDesc& x, const TensorDesc& rois);

// x: [N, C * output_height * output_width, H, W] (s.channels is that
// product); rois: [K, 5]; y: [K, C, output_height, output_width].
// T is float, double or Half. Rois with non-finite coordinates give zeros;
// boxes whose adaptive grid is 0 give NaN, as in torchvision (see
// common/ps_roi_geometry.h).
template <typename T>
void PSRoIAlignCpu(const PSRoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                   T* y, const ParallelFor& parallel_for,
                   const HostScratch& scratch = nullptr);

// The same on device pointers, launched on `stream` (a cudaStream_t); only in
// a build with CUDA. A roi whose batch index is not a whole number in [0, N)
// gives zeros, whatever its box (see ps_roi_align_cuda_body.h).
template <typename T>
Status PSRoIAlignCuda(const PSRoIAlignParams& p, const RoIPoolingShape& s, const T* x,
                      const T* rois, T* y, void* stream);

}  // namespace ort_roi
