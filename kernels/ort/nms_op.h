// What the NMS and BatchedNMS bindings share: the iou_threshold attribute,
// and an int64 output [M] whose length is known only once the kernel has run
// into a vector.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/float_attribute.h"
#include "nms/nms.h"
#include "ort/op_helpers.h"
#include "ort/shape_infer.h"

namespace ort_roi {

// The outputs of such a Kernel (see custom_op.h); inputs are the op's own.
struct NmsSignature {
  static constexpr size_t kOutputs = 1;
  static ONNXTensorElementDataType OutputType(size_t) { return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64; }
  static bool InputOptional(size_t) { return false; }

  // keep [M], M unknown until run.
  static void InferShape(const ShapeInfer& ctx) {
    ctx.SetOutput(0, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, {InferDim{}});
  }
};

// The required iou_threshold, as the decimal the user wrote (see float_attribute.h).
inline Status ReadIouThreshold(const char* op, const OrtKernelInfo* info, NmsParams* p) {
  float threshold = 0.f;
  ORT_ROI_RETURN_IF_ERROR(RequiredAttrFloat(op, info, "iou_threshold", &threshold));
  p->iou_threshold = ShortestDecimal(threshold);
  return Status::Ok();
}

// Calls run(T{}, &keep) with T the storage type of boxes' float `dtype`,
// then copies keep into output 0.
template <typename Run>
OrtStatusPtr WriteKeep(Ort::KernelContext& ctx, DType dtype, const Run& run) {
  std::vector<int64_t> keep;
  DispatchFloat(dtype, [&](auto tag) { run(tag, &keep); });
  Ort::UnownedValue y = ctx.GetOutput(0, {static_cast<int64_t>(keep.size())});
  std::copy(keep.begin(), keep.end(), y.GetTensorMutableData<int64_t>());
  return nullptr;
}

}  // namespace ort_roi
