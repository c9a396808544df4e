#include "ps_roi_align/ps_roi_align.h"

#include "common/ps_roi_geometry.h"
#include "common/roi_checks.h"

namespace ort_roi {

Status CheckPSRoIAlign(const PSRoIAlignParams& p, const TensorDesc& x, const TensorDesc& rois) {
  constexpr const char* kOp = "PSRoIAlign";
  ORT_ROI_RETURN_IF_ERROR(CheckPooledSize(kOp, p.output_height, p.output_width));
  ORT_ROI_RETURN_IF_ERROR(CheckSpatialScale(kOp, "spatial_scale", p.spatial_scale));
  ORT_ROI_RETURN_IF_ERROR(CheckSamplingRatio(kOp, p.sampling_ratio));
  ORT_ROI_RETURN_IF_ERROR(CheckFeatureMap(kOp, "X", x));
  ORT_ROI_RETURN_IF_ERROR(CheckRois(kOp, rois, x.dtype));
  ORT_ROI_RETURN_IF_ERROR(CheckPositionSensitiveChannels(kOp, x, p.output_height, p.output_width));
  return CheckPooledOutputSize(kOp, rois.dim(0),
                               PSOutputChannels(x.dim(1), p.output_height, p.output_width),
                               p.output_height, p.output_width, x.dtype);
}

}  // namespace ort_roi
