#include "batched_nms/batched_nms.h"

namespace ort_roi {

Status CheckBatchedNms(const NmsParams& p, const TensorDesc& boxes, const TensorDesc& scores,
                       const TensorDesc& idxs) {
  constexpr const char* kOp = "BatchedNMS";
  ORT_ROI_RETURN_IF_ERROR(CheckIouThreshold(kOp, p.iou_threshold));
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
