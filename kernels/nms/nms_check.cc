#include <cmath>

#include "common/roi_checks.h"
#include "nms/nms.h"

namespace ort_roi {

Status CheckBoxesAndScores(const char* op, const TensorDesc& boxes, const TensorDesc& scores) {
  if (!IsFloatType(boxes.dtype)) {
    return Invalid(op, "input 'boxes' must be float32, float64 or float16, got ",
                   DTypeName(boxes.dtype));
  }
  if (boxes.rank() != 2 || boxes.dim(1) != 4) {
    return Invalid(op, "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got ",
                   ShapeString(boxes.dims));
  }
  if (scores.dtype != boxes.dtype) {
    return Invalid(op, "input 'scores' must have the type of 'boxes', ", DTypeName(boxes.dtype),
                   ", got ", DTypeName(scores.dtype));
  }
  if (scores.rank() != 1 || scores.dim(0) != boxes.dim(0)) {
    return Invalid(op, "input 'scores' must have shape [N] with N = ", boxes.dim(0),
                   " (one score per box), got ", ShapeString(scores.dims));
  }
  return Status::Ok();
}

Status CheckIouThreshold(const char* op, double iou_threshold) {
  // Every other value, infinities included, is a threshold torchvision
  // accepts; only NaN would silently suppress nothing.
  if (std::isnan(iou_threshold)) {
    return Invalid(op, "attribute 'iou_threshold' must be a number, got NaN");
  }
  return Status::Ok();
}

Status CheckNms(const NmsParams& p, const TensorDesc& boxes, const TensorDesc& scores) {
  constexpr const char* kOp = "NMS";
  ORT_ROI_RETURN_IF_ERROR(CheckIouThreshold(kOp, p.iou_threshold));
  ORT_ROI_RETURN_IF_ERROR(CheckBoxesAndScores(kOp, boxes, scores));
  return Status::Ok();
}

}  // namespace ort_roi
