// RoIPool on CUDA: the launch of roi_pool_cuda_body.h's thread body.
#include "common/cuda_launch.cuh"
#include "roi_pool/roi_pool_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T>
__global__ void RoIPoolKernel(RoIPoolParams p, RoIPoolingShape s, const T* x, const T* rois, T* y,
                              int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { RoIPoolCudaThread(p, s, x, rois, y, i); }
}

}  // namespace

template <typename T>
Status RoIPoolCuda(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                   T* y, void* stream) {
  const int64_t threads = RoIPoolCudaThreads(p, s);
  if (threads == 0) return Status::Ok();
  RoIPoolKernel<<<Blocks(threads), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      p, s, x, rois, y, threads);
  return CudaStatus("RoIPool", cudaGetLastError());
}

template Status RoIPoolCuda<float>(const RoIPoolParams&, const RoIPoolingShape&, const float*,
                                   const float*, float*, void*);
template Status RoIPoolCuda<double>(const RoIPoolParams&, const RoIPoolingShape&, const double*,
                                    const double*, double*, void*);
template Status RoIPoolCuda<Half>(const RoIPoolParams&, const RoIPoolingShape&, const Half*,
                                  const Half*, Half*, void*);

}  // namespace ort_roi
