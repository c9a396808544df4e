// BatchedNMS on CUDA: the path BatchedNmsCpu would take with CUDA's bound,
// as launches of batched_nms_cuda_body.h's thread bodies around NMS's
// (nms_cuda_core.h).
#include "batched_nms/batched_nms.h"
#include "batched_nms/batched_nms_cuda_body.h"
#include "common/cuda_launch.cuh"
#include "common/scratch.h"
#include "nms/nms_cuda_core.h"

namespace ort_roi {

namespace {

constexpr const char* kOp = "BatchedNMS";

template <typename T>
__global__ void ClassMaxPartialKernel(const T* values, int64_t count, int64_t partials,
                                      T* partial) {
  ORT_ROI_GRID_STRIDE(t, partials) { ClassMaxPartialThread(values, count, partials, partial, t); }
}

// One block of kClassStepThreads threads.
template <typename T>
__global__ void __launch_bounds__(kClassStepThreads)
    ClassStepKernel(const T* partial, int64_t partials, T* step) {
  __shared__ T maxima[kClassStepThreads];
  const int t = static_cast<int>(threadIdx.x);
  maxima[t] = ClassStepGatherThread(partial, partials, t);
  for (int half = kClassStepThreads / 2; half > 0; half /= 2) {
    __syncthreads();
    if (t < half) ClassStepFoldThread(maxima, half, t);
  }
  if (t == 0) *step = ClassStepOf(maxima[0]);
}

template <typename T>
__global__ void OffsetBoxKernel(const T* boxes, const int64_t* idxs, const T* step, T* shifted,
                                int64_t n) {
  ORT_ROI_GRID_STRIDE(k, n) { OffsetBoxThread(boxes, idxs, step, shifted, k); }
}

template <typename T>
__global__ void TorchCudaMergeKernel(const T* scores, int64_t* keep, const int64_t* count) {
  TorchCudaMergeOrder(scores, keep, count);
}

// The scratch of one call (see ScratchLayout): the offset boxes and the
// reduction's partial maxima for the trick, then NMS's own.
template <typename T>
struct BatchedNmsScratch {
  T *shifted = nullptr, *partial = nullptr, *step = nullptr;
  void* nms;

  BatchedNmsScratch(ScratchLayout* layout, int64_t n, bool trick) {
    if (trick) {
      shifted = layout->Take<T>(4 * n);
      partial = layout->Take<T>(ClassMaxPartials(4 * n));
      step = layout->Take<T>(1);
    }
    nms = layout->TakeBytes(NmsCudaScratchBytes<T>(n, !trick));
  }
};

}  // namespace

template <typename T>
Status BatchedNmsCuda(const BatchedNmsParams& p, int64_t num_boxes, const T* boxes,
                      const T* scores, const int64_t* idxs, const DeviceScratch& scratch,
                      const KeepOutput& keep_output, void* stream) {
  if (num_boxes == 0) {
    keep_output(0);
    return Status::Ok();
  }
  const int64_t n = num_boxes;
  const BatchedNmsPath path = ChooseBatchedNmsPath(p, n, /*on_cuda=*/true);
  const bool trick = path == BatchedNmsPath::kCoordinateTrick;
  ScratchLayout sizes;
  BatchedNmsScratch<T>(&sizes, n, trick);
  ScratchLayout layout(scratch(sizes.bytes()));
  const BatchedNmsScratch<T> b(&layout, n, trick);

  cudaStream_t s = static_cast<cudaStream_t>(stream);
  NmsDeviceKeep keep;
  if (trick) {
    const int64_t partials = ClassMaxPartials(4 * n);
    ClassMaxPartialKernel<<<Blocks(partials), kThreadsPerBlock, 0, s>>>(boxes, 4 * n, partials,
                                                                       b.partial);
    ClassStepKernel<<<1, kClassStepThreads, 0, s>>>(b.partial, partials, b.step);
    OffsetBoxKernel<<<Blocks(n), kThreadsPerBlock, 0, s>>>(boxes, idxs, b.step, b.shifted, n);
    ORT_ROI_RETURN_IF_ERROR(CudaStatus(kOp, cudaGetLastError()));
    ORT_ROI_RETURN_IF_ERROR(
        NmsCudaLaunch(p.nms, n, b.shifted, scores, nullptr, b.nms, stream, &keep));
  } else {
    ORT_ROI_RETURN_IF_ERROR(NmsCudaLaunch(p.nms, n, boxes, scores, idxs, b.nms, stream, &keep));
    if (path == BatchedNmsPath::kPerClassTorchMerge) {
      TorchCudaMergeKernel<<<1, 1, 0, s>>>(scores, keep.keep, keep.count);
    }
  }
  return NmsCudaFinish(kOp, keep, keep_output, stream);
}

#define ORT_ROI_INSTANTIATE_BATCHED_NMS_CUDA(T)                                            \
  template Status BatchedNmsCuda<T>(const BatchedNmsParams&, int64_t, const T*, const T*,  \
                                    const int64_t*, const DeviceScratch&, const KeepOutput&, \
                                    void*);
ORT_ROI_INSTANTIATE_BATCHED_NMS_CUDA(float)
ORT_ROI_INSTANTIATE_BATCHED_NMS_CUDA(double)
ORT_ROI_INSTANTIATE_BATCHED_NMS_CUDA(Half)
#undef ORT_ROI_INSTANTIATE_BATCHED_NMS_CUDA

}  // namespace ort_roi
