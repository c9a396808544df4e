// ORT binding of DeformConv2d: read attributes once, check, allocate, call the kernel.
#include "deform_conv/deform_conv.h"
#include "ort/custom_op.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

enum Input : size_t { kX, kW, kOffset, kB, kMask };

// Output length along one axis when everything it depends on is known (as
// ONNX Conv computes it), otherwise unknown; Compute refuses bad sizes.
InferDim OutputDim(const InferDim& size, const InferDim& kernel, const std::vector<int64_t>& strides,
                   const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, size_t axis) {
  const int64_t stride = strides.size() == 2 ? strides[axis] : 1;
  const int64_t dilation = dilations.size() == 2 ? dilations[axis] : 1;
  const int64_t pad = pads.size() == 4 ? pads[axis] + pads[axis + 2] : 0;
  constexpr int64_t kSane = int64_t{1} << 31;  // beyond: Compute refuses, nothing to infer
  if (!size.symbol.empty() || size.value < 0 || size.value >= kSane || kernel.value < 1 ||
      kernel.value >= kSane || stride < 1 || stride >= kSane || dilation < 1 || dilation >= kSane ||
      pad < 0 || pad >= kSane) {
    return InferDim{};
  }
  const int64_t out = (size.value + pad - dilation * (kernel.value - 1) - 1) / stride + 1;
  return out >= 1 ? InferDim::Known(out) : InferDim{};
}

bool Known(const InferDim& d) { return !d.symbol.empty() || d.value >= 0; }

struct DeformConvKernel {
  static constexpr const char* kName = "DeformConv2d";
  static constexpr size_t kInputs = 5;
  static constexpr size_t kOutputs = 1;
  // X is any type (checked in Compute); W, offset, B and mask are the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == kX ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED; }
  static bool InputOptional(size_t i) { return i == kB || i == kMask; }

  // Y [N, Cout, Ho, Wo] of X's type; Ho and Wo from X, W and the attributes,
  // or else from offset's spatial dims.
  static void InferShape(const ShapeInfer& ctx) {
    const InferTensor x = ctx.Input(kX), w = ctx.Input(kW), offset = ctx.Input(kOffset);
    const std::vector<int64_t> strides = ctx.AttrInts("strides"), pads = ctx.AttrInts("pads"),
                               dilations = ctx.AttrInts("dilations"),
                               kernel_shape = ctx.AttrInts("kernel_shape");
    InferDim kh = w.Dim(4, 2), kw = w.Dim(4, 3);
    if (kernel_shape.size() == 2) {
      kh = InferDim::Known(kernel_shape[0]);
      kw = InferDim::Known(kernel_shape[1]);
    }
    InferDim ho = OutputDim(x.Dim(4, 2), kh, strides, pads, dilations, 0);
    InferDim wo = OutputDim(x.Dim(4, 3), kw, strides, pads, dilations, 1);
    if (!Known(ho)) ho = offset.Dim(4, 2);
    if (!Known(wo)) wo = offset.Dim(4, 3);
    InferDim n = x.Dim(4, 0);
    if (!Known(n)) n = offset.Dim(4, 0);
    const ONNXTensorElementDataType type =
        x.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED ? x.type : w.type;
    ctx.SetOutput(0, type, {n, w.Dim(4, 0), ho, wo});
  }

  DeformConvParams params;

  static Status Create(const OrtKernelInfo* info, DeformConvKernel* k) {
    DeformConvParams& p = k->params;
    p.strides = AttrInts(info, "strides");
    p.pads = AttrInts(info, "pads");
    p.dilations = AttrInts(info, "dilations");
    p.kernel_shape = AttrInts(info, "kernel_shape");
    p.group = AttrInt(info, "group", p.group);
    p.offset_group = AttrInt(info, "offset_group", p.offset_group);
    return Status::Ok();
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const size_t count = ctx.GetInputCount();
    // An absent optional input is missing from the end or given as "".
    auto optional = [&](size_t i) { return i < count ? ctx.GetInput(i) : Ort::ConstValue(static_cast<const OrtValue*>(nullptr)); };
    const Ort::ConstValue x = ctx.GetInput(kX), w = ctx.GetInput(kW), offset = ctx.GetInput(kOffset);
    const Ort::ConstValue bias = optional(kB), mask = optional(kMask);
    const TensorDesc xd = Describe(x), wd = Describe(w), od = Describe(offset);
    TensorDesc bd{}, md{};
    if (bias) bd = Describe(bias);
    if (mask) md = Describe(mask);

    DeformConvShape s;
    const Status st = CheckDeformConv(params, xd, wd, od, bias ? &bd : nullptr, mask ? &md : nullptr, &s);
    if (!st.ok()) return ToOrtStatus(st);

    Ort::UnownedValue y = ctx.GetOutput(0, {s.batch, s.out_channels, s.out_height, s.out_width});
    DispatchFloat(xd.dtype, [&](auto tag) {
      using T = decltype(tag);
      DeformConvCpu(s, InputData<T>(x), InputData<T>(w), InputData<T>(offset),
                    bias ? InputData<T>(bias) : nullptr, mask ? InputData<T>(mask) : nullptr,
                    y.GetTensorMutableData<T>(), OrtParallelFor(ctx));
    });
    return nullptr;
  }
};

}  // namespace

std::vector<const OrtCustomOp*> DeformConvCpuOps() { return FloatTypeOps<DeformConvKernel>(kCpuProvider); }

}  // namespace ort_roi
