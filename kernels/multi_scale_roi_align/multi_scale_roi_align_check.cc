#include <string>

#include "common/level_mapper.h"
#include "common/roi_checks.h"
#include "multi_scale_roi_align/multi_scale_roi_align.h"

namespace ort_roi {

namespace {

constexpr const char* kOp = "MultiScaleRoIAlign";

Status CheckLevelAttributes(const MultiScaleRoIAlignParams& p, size_t levels) {
  if (p.spatial_scales.size() != levels) {
    return Invalid(kOp, "attribute 'spatial_scales' must have one value per feature map (", levels,
                   "), got ", p.spatial_scales.size());
  }
  for (size_t l = 0; l < levels; ++l) {
    const std::string name = "spatial_scales[" + std::to_string(l) + "]";
    ORT_ROI_RETURN_IF_ERROR(CheckSpatialScale(kOp, name.c_str(), p.spatial_scales[l]));
  }
  if (p.canonical_scale <= 0) {
    return Invalid(kOp, "attribute 'canonical_scale' must be positive, got ", p.canonical_scale);
  }
  return Status::Ok();
}

}  // namespace

Status CheckMultiScaleRoIAlign(const MultiScaleRoIAlignParams& p, const TensorDesc& rois,
                               const std::vector<TensorDesc>& x) {
  ORT_ROI_RETURN_IF_ERROR(CheckPooledSize(kOp, p.output_height, p.output_width));
  ORT_ROI_RETURN_IF_ERROR(CheckSamplingRatio(kOp, p.sampling_ratio));
  ORT_ROI_RETURN_IF_ERROR(CheckFlag(kOp, "aligned", p.aligned));
  if (x.empty()) return Invalid(kOp, "needs at least one feature map input after 'rois'");
  ORT_ROI_RETURN_IF_ERROR(CheckLevelAttributes(p, x.size()));
  for (size_t l = 0; l < x.size(); ++l) {
    const std::string name = "X_" + std::to_string(l);
    ORT_ROI_RETURN_IF_ERROR(CheckFeatureMap(kOp, name.c_str(), x[l]));
    if (l == 0) continue;
    if (x[l].dtype != x[0].dtype) {
      return Invalid(kOp, "input '", name, "' must have X_0's type ", DTypeName(x[0].dtype),
                     ", got ", DTypeName(x[l].dtype));
    }
    if (x[l].dim(0) != x[0].dim(0) || x[l].dim(1) != x[0].dim(1)) {
      return Invalid(kOp, "input '", name, "' must have X_0's batch size and channels (N = ",
                     x[0].dim(0), ", C = ", x[0].dim(1), "), got shape ", ShapeString(x[l].dims));
    }
  }
  ORT_ROI_RETURN_IF_ERROR(CheckRois(kOp, rois, x[0].dtype));
  return CheckPooledOutputSize(kOp, rois.dim(0), x[0].dim(1), p.output_height, p.output_width,
                               x[0].dtype);
}

Status CheckMultiScaleRoIAlignCuda(size_t levels) {
  // kMultiScaleCudaMaxLevels (multi_scale_roi_align_cuda_body.h) is this bound.
  if (levels > static_cast<size_t>(kMaxLevelThresholds)) {
    return Invalid(kOp, "on CUDA at most ", kMaxLevelThresholds,
                   " feature maps are supported, got ", levels,
                   " (the CPU kernel takes any number)");
  }
  return Status::Ok();
}

}  // namespace ort_roi
