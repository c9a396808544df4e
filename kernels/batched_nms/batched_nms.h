// BatchedNMS (torchvision.ops.batched_nms): NMS within each class apart.
//
// torchvision's batched_nms has two paths, and with tied scores or IoUs near
// the threshold they disagree. Up to a bound on boxes.numel() that depends on
// the device (and always while tracing) it offsets each class's boxes by
// class * (max coordinate + 1) and runs one stable nms: equal scores in index
// order, IoUs of the offset boxes. Above it, one nms per class, the kept
// boxes merged by torch's unstable sort on score. `strategy` says which rule
// a node follows; "per_class" is exact per class with a stable merge, for
// callers who want that rather than torchvision's outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "common/status.h"
#include "common/tensor_desc.h"
#include "nms/nms.h"

namespace ort_roi {

enum class BatchedNmsStrategy {
  kTorchvision,      // eager torchvision on the node's device: by size
  kCoordinateTrick,  // torchvision while tracing or scripting
  kPerClass,         // exact per class, equal scores in index order
};

struct BatchedNmsParams {
  NmsParams nms;
  BatchedNmsStrategy strategy = BatchedNmsStrategy::kTorchvision;
  // torchvision 0.28's bounds on boxes.numel() (4 per box) up to which eager
  // batched_nms takes the coordinate trick.
  int64_t cpu_trick_max_numel = 4000;
  int64_t cuda_trick_max_numel = 100000;
};

// What one call computes, once the strategy meets the input's size.
enum class BatchedNmsPath {
  kCoordinateTrick,
  kPerClassTorchMerge,   // torchvision's _batched_nms_vanilla
  kPerClassStableMerge,  // strategy "per_class"
};

// The strategy attribute's value: "torchvision", "coordinate_trick" or "per_class".
Status ParseBatchedNmsStrategy(const std::string& name, BatchedNmsStrategy* out);

// Inline: the CUDA kernel's host-grid tests choose with it too.
inline BatchedNmsPath ChooseBatchedNmsPath(const BatchedNmsParams& p, int64_t num_boxes,
                                           bool on_cuda) {
  switch (p.strategy) {
    case BatchedNmsStrategy::kCoordinateTrick: return BatchedNmsPath::kCoordinateTrick;
    case BatchedNmsStrategy::kPerClass: return BatchedNmsPath::kPerClassStableMerge;
    case BatchedNmsStrategy::kTorchvision: break;
  }
  // boxes.numel() = 4 * num_boxes <= bound, without overflowing.
  const int64_t bound = on_cuda ? p.cuda_trick_max_numel : p.cpu_trick_max_numel;
  return num_boxes <= bound / 4 ? BatchedNmsPath::kCoordinateTrick
                                : BatchedNmsPath::kPerClassTorchMerge;
}

// NMS's rules, the bounds, and idxs [N] of int64 (any value: labels, negatives too).
Status CheckBatchedNms(const BatchedNmsParams& p, const TensorDesc& boxes,
                       const TensorDesc& scores, const TensorDesc& idxs);

// boxes [N, 4], scores [N], idxs [N] (the class of each box). Appends to
// *keep the kept indices, best first, as the chosen path orders them (see
// batched_nms_cpu.cc). Per class, classes run in parallel.
template <typename T>
void BatchedNmsCpu(const BatchedNmsParams& p, int64_t num_boxes, const T* boxes,
                   const T* scores, const int64_t* idxs, std::vector<int64_t>* keep,
                   const ParallelFor& parallel_for);

// BatchedNmsCpu on device pointers, launched on `stream` (a cudaStream_t);
// only in a build with CUDA (see batched_nms_cuda.cu). The path is chosen
// with CUDA's bound, and the per-class paths merge as torch's CUDA sort
// does. Like NmsCuda: one count copy, one wait.
template <typename T>
Status BatchedNmsCuda(const BatchedNmsParams& p, int64_t num_boxes, const T* boxes,
                      const T* scores, const int64_t* idxs, const DeviceScratch& scratch,
                      const KeepOutput& keep_output, void* stream);

}  // namespace ort_roi
