// RoIAlign's CUDA thread body on the host (see host_grid.h).
#include "common/roi_pooling_shape.h"
#include "roi_align/roi_align_cuda_body.h"
#include "testing/host_grid.h"

using namespace ort_roi;  // NOLINT: entry points only

// shape: N, C, H, W, K (X [N, C, H, W], rois [K, 5]).
ORT_ROI_HOST_GRID_API int ort_roi_host_roi_align(int type, const int64_t* shape,
                                                 int64_t output_height, int64_t output_width,
                                                 float spatial_scale, int64_t sampling_ratio,
                                                 int64_t aligned, const void* x, const void* rois,
                                                 void* y) {
  const RoIAlignParams p{output_height, output_width, spatial_scale, sampling_ratio, aligned};
  const RoIPoolingShape s{shape[0], shape[1], shape[2], shape[3], shape[4]};
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    RunGrid(RoIAlignCudaThreads(p, s), [&](int64_t i) {
      RoIAlignCudaThread(p, s, static_cast<const T*>(x), static_cast<const T*>(rois),
                         static_cast<T*>(y), i);
    });
  });
}
