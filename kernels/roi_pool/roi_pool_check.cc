#include "roi_pool/roi_pool.h"

#include "common/roi_checks.h"

namespace ort_roi {

Status CheckRoIPool(const RoIPoolParams& p, const TensorDesc& x, const TensorDesc& rois) {
  constexpr const char* kOp = "RoIPool";
  ORT_ROI_RETURN_IF_ERROR(CheckPooledSize(kOp, p.output_height, p.output_width));
  ORT_ROI_RETURN_IF_ERROR(CheckSpatialScale(kOp, "spatial_scale", p.spatial_scale));
  ORT_ROI_RETURN_IF_ERROR(CheckFeatureMap(kOp, "X", x));
  ORT_ROI_RETURN_IF_ERROR(CheckRois(kOp, rois, x.dtype));
  return CheckPooledOutputSize(kOp, rois.dim(0), x.dim(1), p.output_height, p.output_width, x.dtype);
}

}  // namespace ort_roi
