// ORT binding of NMS, on the CPU and on CUDA: read the threshold once,
// check, run the kernel and write its keep list out (nms_op.h).
#include "nms/nms.h"
#include "ort/custom_op.h"
#include "ort/nms_op.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct NmsKernel : NmsSignature {
  static constexpr const char* kName = "NMS";
  static constexpr size_t kInputs = 2;
  // boxes is any type (checked in Compute); scores is the registration's type.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 0 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED : t;
  }

  NmsParams params;

  static Status Create(const OrtKernelInfo* info, NmsKernel* k) {
    return ReadIouThreshold(kName, info, &k->params);
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const NodeInputs in = ReadInputs(ctx);  // boxes, scores
    const TensorDesc& boxes = in.descs[0];
    const Status st = CheckNms(params, boxes, in.descs[1]);
    if (!st.ok()) return ToOrtStatus(st);
    if constexpr (kCuda) {
      // device: scratch, keep_output, stream (see WriteKeepCuda).
      return WriteKeepCuda(ctx, in.values[0], boxes.dtype, [&](auto tag, const auto&... device) {
        using T = decltype(tag);
        return NmsCuda(params, boxes.dim(0), InputData<T>(in.values[0]),
                       InputData<T>(in.values[1]), device...);
      });
    } else {
      return WriteKeep(ctx, boxes.dtype, [&](auto tag, std::vector<int64_t>* keep) {
        using T = decltype(tag);
        NmsCpu(params, boxes.dim(0), InputData<T>(in.values[0]), InputData<T>(in.values[1]), keep);
      });
    }
  }
};

}  // namespace

std::vector<const OrtCustomOp*> NmsCpuOps() { return FloatTypeOps<NmsKernel<false>>(kCpuProvider); }

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> NmsCudaOps() {
  return FloatTypeOps<NmsKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
