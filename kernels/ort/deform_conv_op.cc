// ORT binding of DeformConv2d, on the CPU and on CUDA: read attributes once,
// check, allocate, call the kernel.
#include <memory>
#include <string>
#include <type_traits>

#include "deform_conv/deform_conv.h"
#include "ort/custom_op.h"
#include "ort/device_scratch.h"
#include "ort/host_scratch.h"
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

template <bool kCuda>
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
  // On the CPU, W packed once when the session holds it as a constant (an
  // initializer no feed can replace): W's type, and the packing in its
  // accumulation type.
  DType packed_type = DType::kOther;
  std::shared_ptr<const DeformConvPackedW<float>> packed_float;
  std::shared_ptr<const DeformConvPackedW<double>> packed_double;

  static Status Create(const OrtKernelInfo* info, DeformConvKernel* k) {
    DeformConvParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "strides", &p.strides));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "pads", &p.pads));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "dilations", &p.dilations));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "kernel_shape", &p.kernel_shape));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "group", &p.group));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "offset_group", &p.offset_group));
    if constexpr (!kCuda) k->PackConstantW(info);
    return Status::Ok();
  }

  // Nothing to do where W is not constant or its dimensions are not a
  // valid W's: Compute then checks, refuses or packs per call.
  void PackConstantW(const OrtKernelInfo* info) {
    int is_constant = 0;
    const OrtValue* value = nullptr;
    OrtStatus* status = Ort::GetApi().KernelInfoGetConstantInput_tensor(info, kW, &is_constant, &value);
    if (status != nullptr) {
      Ort::GetApi().ReleaseStatus(status);
      return;
    }
    if (is_constant == 0 || value == nullptr) return;
    const Ort::ConstValue w(value);
    const TensorDesc d = Describe(w);
    if (d.rank() != 4) return;
    const int64_t group = params.group;
    DispatchFloat(d.dtype, [&](auto tag) {
      using T = decltype(tag);
      auto packed = PackDeformConvW(InputData<T>(w), d.dim(0), d.dim(1), d.dim(2), d.dim(3), group);
      if (packed == nullptr) return;
      packed_type = d.dtype;
      if constexpr (std::is_same_v<typename Acc<T>::type, float>) {
        packed_float = std::move(packed);
      } else {
        packed_double = std::move(packed);
      }
    });
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
    const Status typed = CheckOutputType(kName, y, xd.dtype);
    if (!typed.ok()) return ToOrtStatus(typed);
    Status run = Status::Ok();
    DispatchFloat(xd.dtype, [&](auto tag) {
      using T = decltype(tag);
      const T* bs = bias ? InputData<T>(bias) : nullptr;
      const T* ms = mask ? InputData<T>(mask) : nullptr;
      T* ys = y.GetTensorMutableData<T>();
      if constexpr (kCuda) {
        const int64_t bytes = DeformConvCudaScratchBytes<T>(s);
        DeviceScratchPool device(ctx, x);
        void* columns = device.Allocate(static_cast<size_t>(bytes));
        if (bytes > 0 && columns == nullptr) {
          run = Status::DeviceError("DeformConv2d: could not allocate " + std::to_string(bytes) +
                                    " bytes of device scratch");
          return;
        }
        run = DeformConvCuda(s, InputData<T>(x), InputData<T>(w), InputData<T>(offset), bs, ms, ys,
                             columns, ctx.GetGPUComputeStream());
      } else {
        HostScratchPool scratch(ctx);
        const DeformConvPackedW<typename Acc<T>::type>* packed = nullptr;
        if (wd.dtype == packed_type) {
          if constexpr (std::is_same_v<typename Acc<T>::type, float>) {
            packed = packed_float.get();
          } else {
            packed = packed_double.get();
          }
        }
        DeformConvCpu(s, InputData<T>(x), InputData<T>(w), InputData<T>(offset), bs, ms, ys,
                      OrtParallelFor(ctx), scratch.Get(), packed);
      }
    });
    return ToOrtStatus(run);
  }
};

}  // namespace

std::vector<const OrtCustomOp*> DeformConvCpuOps() {
  return FloatTypeOps<DeformConvKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> DeformConvCudaOps() {
  return FloatTypeOps<DeformConvKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
