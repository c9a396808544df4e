// What the bindings of the single-map roi pooling ops (RoIAlign, RoIPool,
// PSRoIAlign, PSRoIPool) share: X [N, C, H, W] and rois [K, 5] in,
// Y [K, C', output_height, output_width] out, and one Compute that checks,
// allocates and dispatches. A binding keeps its name, attributes, shape
// inference and the call of its kernel.
#pragma once

#include <cstdint>

#include "common/float_attribute.h"
#include "common/roi_checks.h"
#include "common/roi_pooling_shape.h"
#include "ort/op_helpers.h"

namespace ort_roi {

// The inputs and outputs of such a Kernel (see custom_op.h).
struct RoIPoolingSignature {
  static constexpr size_t kInputs = 2;
  static constexpr size_t kOutputs = 1;
  // X is any type (checked in Compute); rois is the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 0 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED; }
  static bool InputOptional(size_t) { return false; }
};

// The attributes every such op has: output_height and output_width
// (required) and spatial_scale. ONNX stores spatial_scale as float32 while
// torchvision multiplies by the Python float: a scale like 0.7 is read back
// as the short decimal it was (float_attribute.h), so float64 maps scale
// rois as torchvision's do; float32 and float16 cast it back to the same
// float32. A scale that is no short decimal (1/3) stays float32-rounded.
inline Status ReadRoIPoolingAttrs(const char* op, const OrtKernelInfo* info,
                                  RoIPoolingParams* p) {
  ORT_ROI_RETURN_IF_ERROR(RequiredAttr(op, info, "output_height", &p->output_height));
  ORT_ROI_RETURN_IF_ERROR(RequiredAttr(op, info, "output_width", &p->output_width));
  float scale = 1.0f;
  ORT_ROI_RETURN_IF_ERROR(OptionalAttr(op, info, "spatial_scale", &scale));
  p->spatial_scale = ShortestDecimal(scale);
  return Status::Ok();
}

// Y's channel count from X's, for an X that passed the op's check:
// SameChannels, or PSOutputChannels for the position-sensitive ops.
using OutputChannels = int64_t (*)(int64_t channels, int64_t output_height, int64_t output_width);
inline int64_t SameChannels(int64_t channels, int64_t, int64_t) { return channels; }

// Describes X and rois, runs `check` and allocates Y, then calls `run` with
// pointers of X's type:
//  - CPU: checks the batch indices (an invalid one is refused by name) and
//    calls run(shape, x, rois, y, parallel_for);
//  - CUDA (kCuda): X and rois live on the device, so their values are read by
//    the kernel alone (an invalid batch index gives that roi zeros, see
//    roi_align_cuda_body.h); calls run(shape, x, rois, y, stream) -> Status,
//    which launches on ORT's compute stream and does not wait for it.
template <bool kCuda = false, typename Params, typename Run>
OrtStatusPtr ComputeRoIPooling(OrtKernelContext* raw, const char* op, const Params& p,
                               Status (*check)(const Params&, const TensorDesc&, const TensorDesc&),
                               OutputChannels out_channels, const Run& run) {
  Ort::KernelContext ctx(raw);
  const Ort::ConstValue x = ctx.GetInput(0);
  const Ort::ConstValue rois = ctx.GetInput(1);
  const TensorDesc xd = Describe(x), rd = Describe(rois);
  Status st = check(p, xd, rd);
  if (!st.ok()) return ToOrtStatus(st);

  const RoIPoolingShape s{xd.dim(0), xd.dim(1), xd.dim(2), xd.dim(3), rd.dim(0)};
  Ort::UnownedValue y =
      ctx.GetOutput(0, {s.num_rois, out_channels(s.channels, p.output_height, p.output_width),
                        p.output_height, p.output_width});
  st = CheckOutputType(op, y, xd.dtype);
  if (!st.ok()) return ToOrtStatus(st);
  DispatchFloat(xd.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* xs = InputData<T>(x);
    const T* rs = InputData<T>(rois);
    T* ys = y.GetTensorMutableData<T>();
    if constexpr (kCuda) {
      st = run(s, xs, rs, ys, ctx.GetGPUComputeStream());
    } else {
      st = CheckRoisBatchIndex(op, rs, s.num_rois, s.batch);
      if (st.ok()) run(s, xs, rs, ys, OrtParallelFor(ctx));
    }
  });
  return ToOrtStatus(st);
}

}  // namespace ort_roi
