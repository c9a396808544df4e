#include "batched_nms/batched_nms.h"

namespace ort_roi {

namespace {
constexpr const char* kOp = "BatchedNMS";
}

Status ParseBatchedNmsStrategy(const std::string& name, BatchedNmsStrategy* out) {
  if (name == "torchvision") {
    *out = BatchedNmsStrategy::kTorchvision;
  } else if (name == "coordinate_trick") {
    *out = BatchedNmsStrategy::kCoordinateTrick;
  } else if (name == "per_class") {
    *out = BatchedNmsStrategy::kPerClass;
  } else {
    return Invalid(kOp, "attribute 'strategy' must be \"torchvision\", \"coordinate_trick\" or ",
                   "\"per_class\", got \"", name, "\"");
  }
  return Status::Ok();
}

Status CheckBatchedNms(const BatchedNmsParams& p, const TensorDesc& boxes,
                       const TensorDesc& scores, const TensorDesc& idxs) {
  ORT_ROI_RETURN_IF_ERROR(CheckIouThreshold(kOp, p.nms.iou_threshold));
  if (p.cpu_trick_max_numel < 0) {
    return Invalid(kOp, "attribute 'cpu_trick_max_numel' must be >= 0, got ",
                   p.cpu_trick_max_numel);
  }
  if (p.cuda_trick_max_numel < 0) {
    return Invalid(kOp, "attribute 'cuda_trick_max_numel' must be >= 0, got ",
                   p.cuda_trick_max_numel);
  }
  ORT_ROI_RETURN_IF_ERROR(CheckBoxesAndScores(kOp, boxes, scores));
  if (idxs.dtype != DType::kInt64) {
    return Invalid(kOp, "input 'idxs' must be int64, got ", DTypeName(idxs.dtype));
  }
  if (idxs.rank() != 1 || idxs.dim(0) != boxes.dim(0)) {
    return Invalid(kOp, "input 'idxs' must have shape [N] with N = ", boxes.dim(0),
                   " (one class per box), got ", ShapeString(idxs.dims));
  }
  return Status::Ok();
}

}  // namespace ort_roi
