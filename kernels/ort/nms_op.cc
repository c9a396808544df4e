// ORT binding of NMS: read the threshold once, check, run the kernel into a
// vector (the output's length is known only then), copy it out.
#include <algorithm>

#include "common/float_attribute.h"
#include "nms/nms.h"
#include "ort/custom_op.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

struct NmsKernel {
  static constexpr const char* kName = "NMS";
  static constexpr size_t kInputs = 2;
  static constexpr size_t kOutputs = 1;
  // boxes is any type (checked in Compute); scores is the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 0 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64; }
  static bool InputOptional(size_t) { return false; }

  // keep [M], M unknown until run.
  static void InferShape(const ShapeInfer& ctx) {
    ctx.SetOutput(0, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, {InferDim{}});
  }

  NmsParams params;

  static Status Create(const OrtKernelInfo* info, NmsKernel* k) {
    float threshold = 0.f;
    ORT_ROI_RETURN_IF_ERROR(RequiredAttrFloat(kName, info, "iou_threshold", &threshold));
    k->params.iou_threshold = ShortestDecimal(threshold);
    return Status::Ok();
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const Ort::ConstValue boxes = ctx.GetInput(0);
    const Ort::ConstValue scores = ctx.GetInput(1);
    const TensorDesc bd = Describe(boxes), sd = Describe(scores);
    const Status st = CheckNms(params, bd, sd);
    if (!st.ok()) return ToOrtStatus(st);

    std::vector<int64_t> keep;
    DispatchFloat(bd.dtype, [&](auto tag) {
      using T = decltype(tag);
      NmsCpu(params, bd.dim(0), InputData<T>(boxes), InputData<T>(scores), &keep);
    });
    Ort::UnownedValue y = ctx.GetOutput(0, {static_cast<int64_t>(keep.size())});
    std::copy(keep.begin(), keep.end(), y.GetTensorMutableData<int64_t>());
    return nullptr;
  }
};

}  // namespace

std::vector<const OrtCustomOp*> NmsCpuOps() { return FloatTypeOps<NmsKernel>(kCpuProvider); }

}  // namespace ort_roi
