// Runs each CUDA kernel's per-thread body over its whole launch grid on the
// host, one thread index after another, for the CPU test suite
// (tests/host_grid.py): the CUDA arithmetic and indexing are then tested on
// every machine, GPU or not. Built as its own small library; libort_roi does
// not contain it.
//
// Every entry point takes the ONNX element type of its float data (1 float,
// 11 double, 10 float16) and returns 0, or -1 for a type it does not know.
#include <cstdint>

#include "common/half.h"
#include "roi_align/roi_align_cuda_body.h"

#define ORT_ROI_HOST_GRID_API extern "C" __attribute__((visibility("default")))

namespace ort_roi {
namespace {

template <typename Fn>
int DispatchOnnxFloat(int onnx_type, const Fn& fn) {
  switch (onnx_type) {
    case 1: fn(float{}); return 0;
    case 11: fn(double{}); return 0;
    case 10: fn(Half{}); return 0;
    default: return -1;
  }
}

// shape: N, C, H, W, K.
RoIPoolingShape PoolingShape(const int64_t* shape) {
  return RoIPoolingShape{shape[0], shape[1], shape[2], shape[3], shape[4]};
}

}  // namespace
}  // namespace ort_roi

using namespace ort_roi;  // NOLINT: entry points only

ORT_ROI_HOST_GRID_API int ort_roi_host_roi_align(int type, const int64_t* shape,
                                                 int64_t output_height, int64_t output_width,
                                                 float spatial_scale, int64_t sampling_ratio,
                                                 int64_t aligned, const void* x, const void* rois,
                                                 void* y) {
  const RoIAlignParams p{output_height, output_width, spatial_scale, sampling_ratio, aligned};
  const RoIPoolingShape s = PoolingShape(shape);
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    const int64_t threads = RoIAlignCudaThreads(p, s);
    for (int64_t i = 0; i < threads; ++i) {
      RoIAlignCudaThread(p, s, static_cast<const T*>(x), static_cast<const T*>(rois),
                         static_cast<T*>(y), i);
    }
  });
}
