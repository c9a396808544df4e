#include "ps_roi_pool/ps_roi_pool.h"

#include "common/roi_checks.h"

namespace ort_roi {

Status CheckPSRoIPool(const PSRoIPoolParams& p, const TensorDesc& x, const TensorDesc& rois) {
  constexpr const char* kOp = "PSRoIPool";
  ORT_ROI_RETURN_IF_ERROR(CheckPooledSize(kOp, p.output_height, p.output_width));
  ORT_ROI_RETURN_IF_ERROR(CheckSpatialScale(kOp, "spatial_scale", p.spatial_scale));
  return CheckPositionSensitiveInputs(kOp, x, rois, p.output_height, p.output_width);
}

}  // namespace ort_roi
