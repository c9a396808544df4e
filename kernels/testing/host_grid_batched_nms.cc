// BatchedNMS's CUDA thread bodies on the host (see host_grid.h), in the
// order batched_nms_cuda.cu launches them, NMS's through host_nms.h.
#include <vector>

#include "batched_nms/batched_nms.h"
#include "batched_nms/batched_nms_cuda_body.h"
#include "testing/host_nms.h"

using namespace ort_roi;  // NOLINT: entry points only

namespace {

template <typename T>
void HostGridBatchedNms(const BatchedNmsParams& p, int64_t n, const T* boxes, const T* scores,
                        const int64_t* idxs, int64_t chunk_rows, int64_t* keep, int64_t* count) {
  *count = 0;
  if (n == 0) return;
  const BatchedNmsPath path = ChooseBatchedNmsPath(p, n, /*on_cuda=*/true);
  if (path != BatchedNmsPath::kCoordinateTrick) {
    HostGridNms(p.nms, n, boxes, scores, idxs, chunk_rows, keep, count);
    if (path == BatchedNmsPath::kPerClassTorchMerge) TorchCudaMergeOrder(scores, keep, count);
    return;
  }
  const int64_t partials = ClassMaxPartials(4 * n);
  std::vector<T> partial(partials), shifted(4 * n);
  T step;
  RunGrid(partials, [&](int64_t t) {
    ClassMaxPartialThread(boxes, 4 * n, partials, partial.data(), t);
  });
  // ClassStepKernel's block: gather, then the halvings, barrier to barrier.
  T maxima[kClassStepThreads];
  for (int t = 0; t < kClassStepThreads; ++t) maxima[t] = ClassStepGatherThread(partial.data(), partials, t);
  for (int half = kClassStepThreads / 2; half > 0; half /= 2) {
    for (int t = 0; t < half; ++t) ClassStepFoldThread(maxima, half, t);
  }
  step = ClassStepOf(maxima[0]);
  RunGrid(n, [&](int64_t k) { OffsetBoxThread(boxes, idxs, &step, shifted.data(), k); });
  HostGridNms(p.nms, n, shifted.data(), scores, nullptr, chunk_rows, keep, count);
}

}  // namespace

// boxes [n, 4], scores [n], idxs [n]; keep has room for n indices.
// strategy: 0 "torchvision", 1 "coordinate_trick", 2 "per_class", with
// CUDA's bound cuda_trick_max_numel. chunk_rows: see HostGridNms.
ORT_ROI_HOST_GRID_API int ort_roi_host_batched_nms(int type, int64_t n, double iou_threshold,
                                                   int strategy, int64_t cuda_trick_max_numel,
                                                   int64_t chunk_rows, const void* boxes,
                                                   const void* scores, const int64_t* idxs,
                                                   int64_t* keep, int64_t* count) {
  if (strategy < 0 || strategy > 2) return -1;
  BatchedNmsParams p;
  p.nms.iou_threshold = iou_threshold;
  p.strategy = static_cast<BatchedNmsStrategy>(strategy);
  p.cuda_trick_max_numel = cuda_trick_max_numel;
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    HostGridBatchedNms(p, n, static_cast<const T*>(boxes), static_cast<const T*>(scores), idxs,
                       chunk_rows, keep, count);
  });
}
