// NMS (torchvision.ops.nms): greedy non-maximum suppression by IoU.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

struct NmsParams {
  // Required. A later box is suppressed when its IoU with a kept box is
  // greater than this; a double because torchvision compares in double.
  double iou_threshold = 0.0;
};

// Rules NMS and BatchedNMS share: boxes [N, 4] and scores [N] of one float
// type, and a threshold that is a number.
Status CheckBoxesAndScores(const char* op, const TensorDesc& boxes, const TensorDesc& scores);
Status CheckIouThreshold(const char* op, double iou_threshold);

Status CheckNms(const NmsParams& p, const TensorDesc& boxes, const TensorDesc& scores);

// The threshold in the IoU's type A, compared as `iou > threshold`.
// torchvision compares a float IoU with a double threshold. For float x,
// x > t holds exactly when x > (the largest float <= t), so the kernels can
// compare in float, on the CPU and on CUDA alike.
template <typename A>
A ThresholdIn(double t) {
  return static_cast<A>(t);
}
template <>
inline float ThresholdIn<float>(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// torch.sort's descending order of (score, index) pairs, as its
// KeyValueCompDesc compares them: by score alone, NaN above every number.
template <typename A>
bool ScoreOrder(const std::pair<A, int64_t>& a, const std::pair<A, int64_t>& b) {
  return (std::isnan(a.first) && !std::isnan(b.first)) || a.first > b.first;
}

// T is float, double or Half (whose IoU is computed in float). boxes: [N, 4]
// rows (x1, y1, x2, y2); scores: [N]. Appends to *keep the indices of the kept
// boxes in descending score order, equal scores lower index first, NaN scores
// first of all: torchvision's CPU kernel, NaN included.
template <typename T>
void NmsCpu(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
            std::vector<int64_t>* keep);

// What a CUDA call allocates through its caller (ORT's allocator in the
// binding): device scratch, valid until the caller's Compute returns, and
// the output keep [count] once the count is known. Either may throw.
using DeviceScratch = std::function<void*(size_t bytes)>;
using KeepOutput = std::function<int64_t*(int64_t count)>;

// NmsCpu on device pointers, launched on `stream` (a cudaStream_t); only in a
// build with CUDA (see nms_cuda.cu). The output's length depends on the data,
// so it copies the count to the host and waits for the stream once, then
// fills keep_output(count) with a device-to-device copy it does not wait for.
template <typename T>
Status NmsCuda(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
               const DeviceScratch& scratch, const KeepOutput& keep_output, void* stream);

}  // namespace ort_roi
