// PSRoIPool on CUDA: the launch of ps_roi_pool_cuda_body.h's thread body.
#include "common/cuda_launch.cuh"
#include "ps_roi_pool/ps_roi_pool_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T>
__global__ void PSRoIPoolKernel(PSRoIPoolParams p, RoIPoolingShape s, const T* x, const T* rois,
                                T* y, int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { PSRoIPoolCudaThread(p, s, x, rois, y, i); }
}

}  // namespace

template <typename T>
Status PSRoIPoolCuda(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x,
                     const T* rois, T* y, void* stream) {
  const int64_t threads = PSRoIPoolCudaThreads(p, s);
  if (threads == 0) return Status::Ok();
  PSRoIPoolKernel<<<Blocks(threads), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      p, s, x, rois, y, threads);
  return CudaStatus("PSRoIPool", cudaGetLastError());
}

template Status PSRoIPoolCuda<float>(const PSRoIPoolParams&, const RoIPoolingShape&, const float*,
                                     const float*, float*, void*);
template Status PSRoIPoolCuda<double>(const PSRoIPoolParams&, const RoIPoolingShape&,
                                      const double*, const double*, double*, void*);
template Status PSRoIPoolCuda<Half>(const PSRoIPoolParams&, const RoIPoolingShape&, const Half*,
                                    const Half*, Half*, void*);

}  // namespace ort_roi
