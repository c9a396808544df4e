// BatchedNMS (torchvision.ops.batched_nms): NMS within each class apart.
//
// Exactly torchvision's _batched_nms_vanilla (its path above 1000 boxes on
// CPU): each class's boxes through nms, then all kept indices merged by
// score. Never the coordinate-offset trick of its small-input path, which
// adds class * (max coordinate + 1) to the boxes and so rounds their IoU
// differently in float32 and float16.
#pragma once

#include <cstdint>
#include <vector>

#include "common/parallel.h"
#include "common/status.h"
#include "common/tensor_desc.h"
#include "nms/nms.h"

namespace ort_roi {

// NMS's rules, and idxs [N] of int64 (any value: labels, negatives too).
Status CheckBatchedNms(const NmsParams& p, const TensorDesc& boxes, const TensorDesc& scores,
                       const TensorDesc& idxs);

// boxes [N, 4], scores [N], idxs [N] (the class of each box). Appends to
// *keep the kept indices in torchvision's order (see batched_nms_cpu.cc).
// Classes are run in parallel.
template <typename T>
void BatchedNmsCpu(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
                   const int64_t* idxs, std::vector<int64_t>* keep, const ParallelFor& parallel_for);

}  // namespace ort_roi
