// MultiScaleRoIAlign on CUDA: the launch of multi_scale_roi_align_cuda_body.h's
// thread body, one kernel for every level.
#include "common/cuda_launch.cuh"
#include "multi_scale_roi_align/multi_scale_roi_align_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T>
__global__ void MultiScaleRoIAlignKernel(MultiScaleRoIAlignCudaArgs<T> a, const T* rois, T* y,
                                         int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { MultiScaleRoIAlignCudaThread(a, rois, y, i); }
}

}  // namespace

template <typename T>
Status MultiScaleRoIAlignCuda(const MultiScaleRoIAlignParams& p, const MultiScaleRoIAlignShape& s,
                              const T* const* x, const T* rois, T* y, void* stream) {
  ORT_ROI_RETURN_IF_ERROR(CheckMultiScaleRoIAlignCuda(s.heights.size()));
  const MultiScaleRoIAlignCudaArgs<T> a = MakeMultiScaleRoIAlignCudaArgs(p, s, x);
  const int64_t threads = MultiScaleRoIAlignCudaThreads(a);
  if (threads == 0) return Status::Ok();
  MultiScaleRoIAlignKernel<<<Blocks(threads), kThreadsPerBlock, 0,
                             static_cast<cudaStream_t>(stream)>>>(a, rois, y, threads);
  return CudaStatus("MultiScaleRoIAlign", cudaGetLastError());
}

template Status MultiScaleRoIAlignCuda<float>(const MultiScaleRoIAlignParams&,
                                              const MultiScaleRoIAlignShape&, const float* const*,
                                              const float*, float*, void*);
template Status MultiScaleRoIAlignCuda<double>(const MultiScaleRoIAlignParams&,
                                               const MultiScaleRoIAlignShape&, const double* const*,
                                               const double*, double*, void*);
template Status MultiScaleRoIAlignCuda<Half>(const MultiScaleRoIAlignParams&,
                                             const MultiScaleRoIAlignShape&, const Half* const*,
                                             const Half*, Half*, void*);

}  // namespace ort_roi
