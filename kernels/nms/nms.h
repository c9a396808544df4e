// NMS (torchvision.ops.nms): greedy non-maximum suppression by IoU.
#pragma once

#include <cmath>
#include <cstdint>
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

// The same on the boxes members[0], ..., members[count - 1] alone (one class
// of BatchedNMS), appending kept members' indices. With members ascending,
// ties break as torchvision's nms(boxes[members], scores[members]) does.
template <typename T>
void NmsCpuSubset(const NmsParams& p, const T* boxes, const T* scores, const int64_t* members,
                  int64_t count, std::vector<int64_t>* keep);

}  // namespace ort_roi
