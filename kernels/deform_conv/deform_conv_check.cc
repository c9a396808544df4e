#include <limits>

#include "common/roi_checks.h"
#include "deform_conv/deform_conv.h"

namespace ort_roi {

namespace {

constexpr const char* kOp = "DeformConv2d";

// torchvision's kernels hold strides, pads and dilations in an int; larger
// values are refused, which also keeps the size arithmetic below in range.
constexpr int64_t kMaxAttribute = std::numeric_limits<int32_t>::max();


// A list attribute of `count` values in [low, kMaxAttribute], or its default.
Status ReadList(const char* name, const std::vector<int64_t>& given, size_t count, int64_t low,
                int64_t fallback, std::vector<int64_t>* out) {
  if (given.empty()) {
    out->assign(count, fallback);
    return Status::Ok();
  }
  if (given.size() != count) {
    return Invalid(kOp, "attribute '", name, "' must have ", count, " values, got ",
                   ShapeString(given));
  }
  for (int64_t v : given) {
    if (v < low || v > kMaxAttribute) {
      return Invalid(kOp, "attribute '", name, "' values must be in [", low, ", ", kMaxAttribute,
                     "], got ", ShapeString(given));
    }
  }
  *out = given;
  return Status::Ok();
}

Status CheckType(const char* name, const TensorDesc& t, DType x_type) {
  if (t.dtype != x_type) {
    return Invalid(kOp, "input '", name, "' must have X's type ", DTypeName(x_type), ", got ",
                   DTypeName(t.dtype));
  }
  return Status::Ok();
}

Status CheckRank(const char* name, const TensorDesc& t, size_t rank, const char* layout) {
  if (t.rank() != rank) {
    return Invalid(kOp, "input '", name, "' must have rank ", rank, " ", layout, ", got shape ",
                   ShapeString(t.dims));
  }
  return Status::Ok();
}

// Output length along one axis, or an error when the dilated kernel does not
// fit the padded input. Written so that no intermediate can overflow.
Status OutputSize(const char* axis, int64_t size, int64_t pad_begin, int64_t pad_end,
                  int64_t kernel, int64_t stride, int64_t dilation, int64_t* out) {
  const int64_t padded = size + pad_begin + pad_end;
  if (padded < 1 || kernel - 1 > (padded - 1) / dilation) {
    return Invalid(kOp, "the kernel (", axis, " ", kernel, ", dilation ", dilation,
                   ") does not fit input 'X' ", axis, " ", size, " plus pads ", pad_begin, " + ",
                   pad_end);
  }
  *out = (padded - (dilation * (kernel - 1) + 1)) / stride + 1;
  return Status::Ok();
}

// offset and mask: [N, channels, Ho, Wo].
Status CheckPerTap(const char* name, const TensorDesc& t, const char* rule, int64_t channels,
                   const DeformConvShape& s) {
  if (t.dim(0) != s.batch) {
    return Invalid(kOp, "input '", name, "' must have X's batch size ", s.batch, ", got shape ",
                   ShapeString(t.dims));
  }
  if (t.dim(1) != channels) {
    return Invalid(kOp, "input '", name, "' must have ", rule, " = ", channels,
                   " channels, got shape ", ShapeString(t.dims));
  }
  if (t.dim(2) != s.out_height || t.dim(3) != s.out_width) {
    return Invalid(kOp, "input '", name, "' must have the output's spatial size [", s.out_height,
                   ", ", s.out_width, "], got shape ", ShapeString(t.dims));
  }
  return Status::Ok();
}

}  // namespace

Status CheckDeformConv(const DeformConvParams& p, const TensorDesc& x, const TensorDesc& w,
                       const TensorDesc& offset, const TensorDesc* bias, const TensorDesc* mask,
                       DeformConvShape* shape) {
  if (!IsFloatType(x.dtype)) {
    return Invalid(kOp, "input 'X' must be float32, float64 or float16, got ", DTypeName(x.dtype));
  }
  ORT_ROI_RETURN_IF_ERROR(CheckType("W", w, x.dtype));
  ORT_ROI_RETURN_IF_ERROR(CheckType("offset", offset, x.dtype));
  if (bias != nullptr) ORT_ROI_RETURN_IF_ERROR(CheckType("B", *bias, x.dtype));
  if (mask != nullptr) ORT_ROI_RETURN_IF_ERROR(CheckType("mask", *mask, x.dtype));

  ORT_ROI_RETURN_IF_ERROR(CheckRank("X", x, 4, "[N, Cin, H, W]"));
  ORT_ROI_RETURN_IF_ERROR(CheckRank("W", w, 4, "[Cout, Cin/group, kh, kw]"));
  ORT_ROI_RETURN_IF_ERROR(CheckRank("offset", offset, 4, "[N, 2*offset_group*kh*kw, Ho, Wo]"));
  if (mask != nullptr) {
    ORT_ROI_RETURN_IF_ERROR(CheckRank("mask", *mask, 4, "[N, offset_group*kh*kw, Ho, Wo]"));
  }

  std::vector<int64_t> strides, pads, dilations;
  ORT_ROI_RETURN_IF_ERROR(ReadList("strides", p.strides, 2, 1, 1, &strides));
  ORT_ROI_RETURN_IF_ERROR(ReadList("pads", p.pads, 4, 0, 0, &pads));
  ORT_ROI_RETURN_IF_ERROR(ReadList("dilations", p.dilations, 2, 1, 1, &dilations));
  if (p.group < 1) return Invalid(kOp, "attribute 'group' must be positive, got ", p.group);
  if (p.offset_group < 1) {
    return Invalid(kOp, "attribute 'offset_group' must be positive, got ", p.offset_group);
  }

  DeformConvShape& s = *shape;
  s.batch = x.dim(0);
  s.in_channels = x.dim(1);
  s.height = x.dim(2);
  s.width = x.dim(3);
  // The CPU kernel indexes a plane with 32-bit integers.
  if (s.width > 0 && s.height > std::numeric_limits<int32_t>::max() / s.width) {
    return Invalid(kOp, "input 'X' height * width must be below 2^31, got shape ", ShapeString(x.dims));
  }
  s.out_channels = w.dim(0);
  s.kernel_h = w.dim(2);
  s.kernel_w = w.dim(3);
  s.stride_h = strides[0];
  s.stride_w = strides[1];
  s.pad_top = pads[0];
  s.pad_left = pads[1];
  s.dilation_h = dilations[0];
  s.dilation_w = dilations[1];
  s.group = p.group;
  s.offset_group = p.offset_group;

  if (!p.kernel_shape.empty() &&
      (p.kernel_shape.size() != 2 || p.kernel_shape[0] != s.kernel_h || p.kernel_shape[1] != s.kernel_w)) {
    return Invalid(kOp, "attribute 'kernel_shape' ", ShapeString(p.kernel_shape),
                   " disagrees with input 'W' kernel size [", s.kernel_h, ", ", s.kernel_w, "]");
  }
  if (s.kernel_h < 1 || s.kernel_w < 1) {
    return Invalid(kOp, "input 'W' must have a kernel of at least 1x1, got shape ", ShapeString(w.dims));
  }

  if (s.in_channels % s.group != 0) {
    return Invalid(kOp, "input 'X' has ", s.in_channels, " channels, which is not a multiple of group ",
                   s.group);
  }
  if (w.dim(1) != s.in_channels / s.group) {
    return Invalid(kOp, "input 'W' dim 1 must be Cin / group = ", s.in_channels, " / ", s.group, " = ",
                   s.in_channels / s.group, ", got shape ", ShapeString(w.dims));
  }
  if (s.out_channels % s.group != 0) {
    return Invalid(kOp, "input 'W' has ", s.out_channels,
                   " output channels, which is not a multiple of group ", s.group);
  }
  if (s.in_channels % s.offset_group != 0) {
    return Invalid(kOp, "input 'X' has ", s.in_channels,
                   " channels, which is not a multiple of offset_group ", s.offset_group);
  }

  ORT_ROI_RETURN_IF_ERROR(OutputSize("height", s.height, pads[0], pads[2], s.kernel_h, s.stride_h,
                                     s.dilation_h, &s.out_height));
  ORT_ROI_RETURN_IF_ERROR(OutputSize("width", s.width, pads[1], pads[3], s.kernel_w, s.stride_w,
                                     s.dilation_w, &s.out_width));

  // Only absurd shapes of empty tensors can overflow the tap count.
  int64_t taps = 0, offset_channels = 0;
  if (__builtin_mul_overflow(s.kernel_h, s.kernel_w, &taps) ||
      __builtin_mul_overflow(taps, s.offset_group, &taps) ||
      __builtin_mul_overflow(taps, int64_t{2}, &offset_channels)) {
    return Invalid(kOp, "offset_group * kh * kw is too large: ", s.offset_group, " * ", s.kernel_h,
                   " * ", s.kernel_w);
  }
  ORT_ROI_RETURN_IF_ERROR(CheckPerTap("offset", offset, "2*offset_group*kh*kw", offset_channels, s));
  if (mask != nullptr) {
    ORT_ROI_RETURN_IF_ERROR(CheckPerTap("mask", *mask, "offset_group*kh*kw", taps, s));
  }
  if (bias != nullptr && (bias->rank() != 1 || bias->dim(0) != s.out_channels)) {
    return Invalid(kOp, "input 'B' must have shape [Cout] = [", s.out_channels, "], got ",
                   ShapeString(bias->dims));
  }
  return CheckOutputSize(kOp, {s.batch, s.out_channels, s.out_height, s.out_width}, x.dtype);
}

}  // namespace ort_roi
