// RoIAlign on CUDA: the launch of roi_align_cuda_body.h's thread body.
#include "common/cuda_launch.cuh"
#include "roi_align/roi_align_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T>
__global__ void RoIAlignKernel(RoIAlignParams p, RoIPoolingShape s, const T* x, const T* rois,
                               T* y, int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { RoIAlignCudaThread(p, s, x, rois, y, i); }
}

}  // namespace

template <typename T>
Status RoIAlignCuda(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                    T* y, void* stream) {
  const int64_t threads = RoIAlignCudaThreads(p, s);
  if (threads == 0) return Status::Ok();
  RoIAlignKernel<<<Blocks(threads), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      p, s, x, rois, y, threads);
  return CudaStatus("RoIAlign", cudaGetLastError());
}

template Status RoIAlignCuda<float>(const RoIAlignParams&, const RoIPoolingShape&, const float*,
                                    const float*, float*, void*);
template Status RoIAlignCuda<double>(const RoIAlignParams&, const RoIPoolingShape&, const double*,
                                     const double*, double*, void*);
template Status RoIAlignCuda<Half>(const RoIAlignParams&, const RoIPoolingShape&, const Half*,
                                   const Half*, Half*, void*);

}  // namespace ort_roi
