// PSRoIAlign on CUDA: the launch of ps_roi_align_cuda_body.h's thread body.
#include "common/cuda_launch.cuh"
#include "ps_roi_align/ps_roi_align_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T>
__global__ void PSRoIAlignKernel(PSRoIAlignParams p, RoIPoolingShape s, const T* x, const T* rois,
                                 T* y, int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { PSRoIAlignCudaThread(p, s, x, rois, y, i); }
}

}  // namespace

template <typename T>
Status PSRoIAlignCuda(const PSRoIAlignParams& p, const RoIPoolingShape& s, const T* x,
                      const T* rois, T* y, void* stream) {
  const int64_t threads = PSRoIAlignCudaThreads(p, s);
  if (threads == 0) return Status::Ok();
  PSRoIAlignKernel<<<Blocks(threads), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      p, s, x, rois, y, threads);
  return CudaStatus("PSRoIAlign", cudaGetLastError());
}

template Status PSRoIAlignCuda<float>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                      const float*, const float*, float*, void*);
template Status PSRoIAlignCuda<double>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                       const double*, const double*, double*, void*);
template Status PSRoIAlignCuda<Half>(const PSRoIAlignParams&, const RoIPoolingShape&, const Half*,
                                     const Half*, Half*, void*);

}  // namespace ort_roi
