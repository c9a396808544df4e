#include "roi_checks.h"

#include <sstream>
#include <string>

#include "ps_roi_geometry.h"
#include "roi_align_geometry.h"

namespace ort_roi {

bool IsFloatType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16;
}

Status CheckFeatureMap(const char* op, const char* name, const TensorDesc& x) {
  if (!IsFloatType(x.dtype)) {
    return Invalid(op, "input '", name, "' must be float32, float64 or float16, got ",
                   DTypeName(x.dtype));
  }
  if (x.rank() != 4) {
    return Invalid(op, "input '", name, "' must have rank 4 [N, C, H, W], got shape ",
                   ShapeString(x.dims));
  }
  // A sample on an empty map would have no pixel to read.
  if (x.dim(2) <= 0 || x.dim(3) <= 0) {
    return Invalid(op, "input '", name, "' must have positive height and width, got shape ",
                   ShapeString(x.dims));
  }
  return Status::Ok();
}

Status CheckRois(const char* op, const TensorDesc& rois, DType feature_type) {
  if (rois.dtype != feature_type) {
    return Invalid(op, "input 'rois' must have the feature map's type ", DTypeName(feature_type),
                   ", got ", DTypeName(rois.dtype));
  }
  if (rois.rank() != 2 || rois.dim(1) != 5) {
    return Invalid(op, "input 'rois' must have shape [K, 5] (batch_index, x1, y1, x2, y2), got ",
                   ShapeString(rois.dims));
  }
  return Status::Ok();
}

Status CheckPooledSize(const char* op, int64_t output_height, int64_t output_width) {
  if (output_height <= 0 || output_width <= 0) {
    return Invalid(op, "attributes 'output_height' and 'output_width' must be positive, got ",
                   output_height, " and ", output_width);
  }
  return Status::Ok();
}

Status CheckOutputSize(const char* op, const std::vector<int64_t>& dims, DType dtype) {
  int64_t bytes = dtype == DType::kFloat64 ? 8 : dtype == DType::kFloat16 ? 2 : 4;
  bool overflow = false, empty = false;
  // The dims of an empty output must multiply without overflow too: whoever
  // reads the output (NumPy, say) forms that product.
  for (int64_t d : dims) {
    if (d == 0) empty = true;
    else overflow = overflow || __builtin_mul_overflow(bytes, d, &bytes);
  }
  if (overflow || (!empty && bytes > kMaxOutputBytes)) {
    return Invalid(op, "the output ", ShapeString(dims), " of ", DTypeName(dtype), " would take ",
                   overflow ? std::string("more than 2^63") : std::to_string(bytes),
                   " bytes; at most 2^40 (1 TiB) is allowed");
  }
  return Status::Ok();
}

Status CheckPooledOutputSize(const char* op, int64_t num_rois, int64_t channels,
                             int64_t output_height, int64_t output_width, DType dtype) {
  return CheckOutputSize(op, {num_rois, channels, output_height, output_width}, dtype);
}

Status CheckSpatialScale(const char* op, const char* name, double spatial_scale) {
  if (!(std::isfinite(spatial_scale) && spatial_scale > 0.0)) {
    return Invalid(op, "attribute '", name, "' must be a finite positive number, got ",
                   spatial_scale);
  }
  return Status::Ok();
}

Status CheckSamplingRatio(const char* op, int64_t sampling_ratio) {
  // Non-positive means adaptive. A fixed grid beyond the adaptive cap would
  // cost unbounded work per bin, so it is refused rather than silently capped.
  if (sampling_ratio > kMaxSamplingGrid) {
    return Invalid(op, "attribute 'sampling_ratio' must be at most ", kMaxSamplingGrid, ", got ",
                   sampling_ratio);
  }
  return Status::Ok();
}

Status CheckFlag(const char* op, const char* name, int64_t value) {
  if (value != 0 && value != 1) {
    return Invalid(op, "attribute '", name, "' must be 0 or 1, got ", value);
  }
  return Status::Ok();
}

Status CheckPositionSensitiveChannels(const char* op, const TensorDesc& x, int64_t output_height,
                                      int64_t output_width) {
  const int64_t channels = x.dim(1);
  if (channels == 0) return Status::Ok();  // zero output channels, as in torchvision
  int64_t bins = 0;
  const bool overflow = __builtin_mul_overflow(output_height, output_width, &bins);
  if (overflow || channels % bins != 0) {
    std::ostringstream product;
    product << output_height << " * " << output_width;
    if (!overflow) product << " = " << bins;
    return Invalid(op, "input 'X' has ", channels,
                   " channels, which is not a multiple of output_height * output_width (",
                   product.str(), ")");
  }
  return Status::Ok();
}

Status CheckPositionSensitiveInputs(const char* op, const TensorDesc& x, const TensorDesc& rois,
                                    int64_t output_height, int64_t output_width) {
  ORT_ROI_RETURN_IF_ERROR(CheckFeatureMap(op, "X", x));
  ORT_ROI_RETURN_IF_ERROR(CheckRois(op, rois, x.dtype));
  ORT_ROI_RETURN_IF_ERROR(CheckPositionSensitiveChannels(op, x, output_height, output_width));
  return CheckPooledOutputSize(op, rois.dim(0),
                               PSOutputChannels(x.dim(1), output_height, output_width),
                               output_height, output_width, x.dtype);
}

}  // namespace ort_roi
