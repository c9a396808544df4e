// PSRoIPool's CUDA thread body on the host (see host_grid.h).
#include "common/roi_pooling_shape.h"
#include "ps_roi_pool/ps_roi_pool_cuda_body.h"
#include "testing/host_grid.h"

using namespace ort_roi;  // NOLINT: entry points only

// shape: N, C, H, W, K (X [N, C, H, W] with C = C' * output_height *
// output_width, rois [K, 5]; y is [K, C', output_height, output_width]).
ORT_ROI_HOST_GRID_API int ort_roi_host_ps_roi_pool(int type, const int64_t* shape,
                                                   int64_t output_height, int64_t output_width,
                                                   float spatial_scale, const void* x,
                                                   const void* rois, void* y) {
  const PSRoIPoolParams p{output_height, output_width, spatial_scale};
  const RoIPoolingShape s{shape[0], shape[1], shape[2], shape[3], shape[4]};
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    RunGrid(PSRoIPoolCudaThreads(p, s), [&](int64_t i) {
      PSRoIPoolCudaThread(p, s, static_cast<const T*>(x), static_cast<const T*>(rois),
                          static_cast<T*>(y), i);
    });
  });
}
