// ORT binding of BatchedNMS, on the CPU and on CUDA: read the threshold,
// strategy and bounds once, check, run the kernel and write its keep list
// out (nms_op.h).
#include <string>

#include "batched_nms/batched_nms.h"
#include "ort/custom_op.h"
#include "ort/nms_op.h"
#include "ort/ops.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct BatchedNmsKernel : NmsSignature {
  static constexpr const char* kName = "BatchedNMS";
  static constexpr size_t kInputs = 3;
  // scores is the registration's type. boxes and idxs are any type, so that
  // a wrong one (int32 labels, say) reaches the check and is named there
  // rather than refused by ORT as an invalid graph. Two untyped inputs are
  // allowed (ORT 1.21 included) because the output is typed.
  static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t) {
    return i == 1 ? t : ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }

  BatchedNmsParams params;

  static Status Create(const OrtKernelInfo* info, BatchedNmsKernel* k) {
    BatchedNmsParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(ReadIouThreshold(kName, info, &p.nms));
    std::string strategy = "torchvision";
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "strategy", &strategy));
    ORT_ROI_RETURN_IF_ERROR(ParseBatchedNmsStrategy(strategy, &p.strategy));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "cpu_trick_max_numel", &p.cpu_trick_max_numel));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "cuda_trick_max_numel", &p.cuda_trick_max_numel));
    return Status::Ok();
  }

  OrtStatusPtr Compute(OrtKernelContext* raw) {
    Ort::KernelContext ctx(raw);
    const NodeInputs in = ReadInputs(ctx);  // boxes, scores, idxs
    const TensorDesc& boxes = in.descs[0];
    const Status st = CheckBatchedNms(params, boxes, in.descs[1], in.descs[2]);
    if (!st.ok()) return ToOrtStatus(st);
    if constexpr (kCuda) {
      // device: scratch, keep_output, stream (see WriteKeepCuda).
      return WriteKeepCuda(ctx, in.values[0], boxes.dtype, [&](auto tag, const auto&... device) {
        using T = decltype(tag);
        return BatchedNmsCuda(params, boxes.dim(0), InputData<T>(in.values[0]),
                              InputData<T>(in.values[1]), InputData<int64_t>(in.values[2]),
                              device...);
      });
    } else {
      return WriteKeep(ctx, boxes.dtype, [&](auto tag, std::vector<int64_t>* keep) {
        using T = decltype(tag);
        BatchedNmsCpu(params, boxes.dim(0), InputData<T>(in.values[0]),
                      InputData<T>(in.values[1]), InputData<int64_t>(in.values[2]), keep,
                      OrtParallelFor(ctx));
      });
    }
  }
};

}  // namespace

std::vector<const OrtCustomOp*> BatchedNmsCpuOps() {
  return FloatTypeOps<BatchedNmsKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> BatchedNmsCudaOps() {
  return FloatTypeOps<BatchedNmsKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
