// ORT binding of MultiScaleRoIAlign, on the CPU and on CUDA: read attributes
// once, check, allocate, call the kernel. Inputs: rois, then the feature maps
// as one variadic input.
#include <vector>

#include "common/float_attribute.h"
#include "common/roi_checks.h"
#include "multi_scale_roi_align/multi_scale_roi_align.h"
#include "ort/custom_op.h"
#include "ort/host_scratch.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct MultiScaleRoIAlignKernel {
  static constexpr const char* kName = "MultiScaleRoIAlign";
  static constexpr size_t kInputs = 2;  // rois, X_0 ... X_{L-1}
  static constexpr size_t kOutputs = 1;
  static constexpr bool kVariadicLast = true;
  // The feature maps are of any type (checked in Compute, see custom_op.h);
  // rois is the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 1 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED; }
  static bool InputOptional(size_t) { return false; }

  // Y [K, C of X_0, output_height, output_width] of X_0's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 1, 0, 1); }

  MultiScaleRoIAlignParams params;

  static Status Create(const OrtKernelInfo* info, MultiScaleRoIAlignKernel* k) {
    MultiScaleRoIAlignParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(RequiredAttr(kName, info, "output_height", &p.output_height));
    ORT_ROI_RETURN_IF_ERROR(RequiredAttr(kName, info, "output_width", &p.output_width));
    // Each scale back as the short decimal it was, as ReadRoIPoolingAttrs
    // reads spatial_scale (roi_pooling_op.h): float64 maps then scale rois
    // by the double torchvision uses.
    std::vector<float> scales;
    ORT_ROI_RETURN_IF_ERROR(RequiredAttr(kName, info, "spatial_scales", &scales));
    for (float scale : scales) p.spatial_scales.push_back(ShortestDecimal(scale));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "sampling_ratio", &p.sampling_ratio));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "canonical_scale", &p.canonical_scale));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "canonical_level", &p.canonical_level));
    return OptionalAttr(kName, info, "aligned", &p.aligned);
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const Ort::ConstValue rois = ctx.GetInput(0);
    std::vector<Ort::ConstValue> x;
    std::vector<TensorDesc> xd;
    for (size_t i = 1; i < ctx.GetInputCount(); ++i) {
      x.push_back(ctx.GetInput(i));
      xd.push_back(Describe(x.back()));
    }
    const TensorDesc rd = Describe(rois);
    Status st = CheckMultiScaleRoIAlign(params, rd, xd);
    if (st.ok() && kCuda) st = CheckMultiScaleRoIAlignCuda(xd.size());
    if (!st.ok()) return ToOrtStatus(st);

    MultiScaleRoIAlignShape s{xd[0].dim(0), xd[0].dim(1), rd.dim(0), {}, {}};
    for (const TensorDesc& d : xd) {
      s.heights.push_back(d.dim(2));
      s.widths.push_back(d.dim(3));
    }
    Ort::UnownedValue y =
        ctx.GetOutput(0, {s.num_rois, s.channels, params.output_height, params.output_width});
    st = CheckOutputType(kName, y, xd[0].dtype);
    if (!st.ok()) return ToOrtStatus(st);
    DispatchFloat(xd[0].dtype, [&](auto tag) {
      using T = decltype(tag);
      std::vector<const T*> maps;
      for (const Ort::ConstValue& v : x) maps.push_back(InputData<T>(v));
      const T* rs = InputData<T>(rois);
      T* ys = y.GetTensorMutableData<T>();
      if constexpr (kCuda) {
        // The batch indices live on the device: the kernel gives an invalid
        // one zeros instead of refusing it.
        st = MultiScaleRoIAlignCuda(params, s, maps.data(), rs, ys, ctx.GetGPUComputeStream());
      } else {
        st = CheckRoisBatchIndex(kName, rs, s.num_rois, s.batch);
        if (st.ok()) {
          HostScratchPool scratch(ctx);
          MultiScaleRoIAlignCpu(params, s, maps.data(), rs, ys, OrtParallelFor(ctx), scratch.Get());
        }
      }
    });
    return ToOrtStatus(st);
  }
};

}  // namespace

std::vector<const OrtCustomOp*> MultiScaleRoIAlignCpuOps() {
  return FloatTypeOps<MultiScaleRoIAlignKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> MultiScaleRoIAlignCudaOps() {
  return FloatTypeOps<MultiScaleRoIAlignKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
