#include "ps_roi_align/ps_roi_align.h"

#include "common/roi_checks.h"

namespace ort_roi {

Status CheckPSRoIAlign(const PSRoIAlignParams& p, const TensorDesc& x, const TensorDesc& rois) {
  constexpr const char* kOp = "PSRoIAlign";
  ORT_ROI_RETURN_IF_ERROR(CheckPooledSize(kOp, p.output_height, p.output_width));
  ORT_ROI_RETURN_IF_ERROR(CheckSpatialScale(kOp, "spatial_scale", p.spatial_scale));
  ORT_ROI_RETURN_IF_ERROR(CheckSamplingRatio(kOp, p.sampling_ratio));
  return CheckPositionSensitiveInputs(kOp, x, rois, p.output_height, p.output_width);
}

}  // namespace ort_roi
