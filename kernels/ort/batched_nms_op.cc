// ORT binding of BatchedNMS: read the threshold once, check, run the kernel
// into a vector (the output's length is known only then), copy it out.
#include <algorithm>

#include "batched_nms/batched_nms.h"
#include "common/float_attribute.h"
#include "ort/custom_op.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

struct BatchedNmsKernel {
  static constexpr const char* kName = "BatchedNMS";
  static constexpr size_t kInputs = 3;
  static constexpr size_t kOutputs = 1;
  // scores is the registration's type. boxes and idxs are any type, so that
  // a wrong one (int32 labels, say) reaches the check and is named there
  // rather than refused by ORT as an invalid graph. Two untyped inputs are
  // allowed (ORT 1.21 included) because the output is typed.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 1 ? t : ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64; }
  static bool InputOptional(size_t) { return false; }

  // keep [M], M unknown until run.
  static void InferShape(const ShapeInfer& ctx) {
    ctx.SetOutput(0, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, {InferDim{}});
  }

  NmsParams params;

  static Status Create(const OrtKernelInfo* info, BatchedNmsKernel* k) {
    float threshold = 0.f;
    ORT_ROI_RETURN_IF_ERROR(RequiredAttrFloat(kName, info, "iou_threshold", &threshold));
    k->params.iou_threshold = ShortestDecimal(threshold);
    return Status::Ok();
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const Ort::ConstValue boxes = ctx.GetInput(0);
    const Ort::ConstValue scores = ctx.GetInput(1);
    const Ort::ConstValue idxs = ctx.GetInput(2);
    const TensorDesc bd = Describe(boxes), sd = Describe(scores), id = Describe(idxs);
    const Status st = CheckBatchedNms(params, bd, sd, id);
    if (!st.ok()) return ToOrtStatus(st);

    std::vector<int64_t> keep;
    DispatchFloat(bd.dtype, [&](auto tag) {
      using T = decltype(tag);
      BatchedNmsCpu(params, bd.dim(0), InputData<T>(boxes), InputData<T>(scores),
                    InputData<int64_t>(idxs), &keep, OrtParallelFor(ctx));
    });
    Ort::UnownedValue y = ctx.GetOutput(0, {static_cast<int64_t>(keep.size())});
    std::copy(keep.begin(), keep.end(), y.GetTensorMutableData<int64_t>());
    return nullptr;
  }
};

}  // namespace

std::vector<const OrtCustomOp*> BatchedNmsCpuOps() {
  return FloatTypeOps<BatchedNmsKernel>(kCpuProvider);
}

}  // namespace ort_roi
