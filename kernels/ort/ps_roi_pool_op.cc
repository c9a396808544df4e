// ORT binding of PSRoIPool: read attributes once, check, allocate, call the kernel.
#include "common/ps_roi_geometry.h"
#include "common/roi_checks.h"
#include "ort/custom_op.h"
#include "ort/ops.h"
#include "ps_roi_pool/ps_roi_pool.h"

namespace ort_roi {

namespace {

struct PSRoIPoolKernel {
  static constexpr const char* kName = "PSRoIPool";
  static constexpr size_t kInputs = 2;
  static constexpr size_t kOutputs = 1;
  // X is any type (checked in Compute); rois is the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 0 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED; }
  static bool InputOptional(size_t) { return false; }

  // Y [K, C / (output_height * output_width), output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, PooledBins(ctx)); }

  PSRoIPoolParams params;

  static Status Create(const OrtKernelInfo* info, PSRoIPoolKernel* k) {
    PSRoIPoolParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(RequiredAttrInt(kName, info, "output_height", &p.output_height));
    ORT_ROI_RETURN_IF_ERROR(RequiredAttrInt(kName, info, "output_width", &p.output_width));
    p.spatial_scale = AttrFloat(info, "spatial_scale", p.spatial_scale);
    return Status::Ok();
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const Ort::ConstValue x = ctx.GetInput(0);
    const Ort::ConstValue rois = ctx.GetInput(1);
    const TensorDesc xd = Describe(x), rd = Describe(rois);
    Status st = CheckPSRoIPool(params, xd, rd);
    if (!st.ok()) return ToOrtStatus(st);

    const PSRoIPoolShape s{xd.dim(0), xd.dim(1), xd.dim(2), xd.dim(3), rd.dim(0)};
    const int64_t out_channels =
        PSOutputChannels(s.channels, params.output_height, params.output_width);
    Ort::UnownedValue y =
        ctx.GetOutput(0, {s.num_rois, out_channels, params.output_height, params.output_width});
    DispatchFloat(xd.dtype, [&](auto tag) {
      using T = decltype(tag);
      st = CheckRoisBatchIndex(kName, InputData<T>(rois), s.num_rois, s.batch);
      if (st.ok()) {
        PSRoIPoolCpu(params, s, InputData<T>(x), InputData<T>(rois),
                      y.GetTensorMutableData<T>(), OrtParallelFor(ctx));
      }
    });
    return ToOrtStatus(st);
  }
};

}  // namespace

std::vector<const OrtCustomOp*> PSRoIPoolCpuOps() {
  return FloatTypeOps<PSRoIPoolKernel>(kCpuProvider);
}

}  // namespace ort_roi
