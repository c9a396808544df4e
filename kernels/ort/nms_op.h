// What the NMS and BatchedNMS bindings share: the iou_threshold attribute,
// and an int64 output [M] whose length is known only once the kernel has
// run: into a vector on the CPU, into device scratch on CUDA.
#pragma once

#include <algorithm>
#include <cstdint>
#include <new>
#include <vector>

#include "common/float_attribute.h"
#include "nms/nms.h"
#include "ort/device_scratch.h"
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
  ORT_ROI_RETURN_IF_ERROR(RequiredAttr(op, info, "iou_threshold", &threshold));
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

// The CUDA form of WriteKeep: calls run(T{}, scratch, keep_output, stream)
// -> Status with T the storage type of `dtype`, scratch from ORT's allocator
// on the device of `on_device_of` and ORT's compute stream; keep_output
// allocates output 0 once the kernel knows its length.
template <typename Run>
OrtStatusPtr WriteKeepCuda(Ort::KernelContext& ctx, const Ort::ConstValue& on_device_of,
                           DType dtype, const Run& run) {
  DeviceScratchPool memory(ctx, on_device_of);
  const DeviceScratch scratch = [&](size_t bytes) {
    void* p = memory.Allocate(bytes);
    if (p == nullptr && bytes > 0) throw std::bad_alloc();
    return p;
  };
  const KeepOutput keep_output = [&](int64_t count) {
    return ctx.GetOutput(0, {count}).GetTensorMutableData<int64_t>();
  };
  Status st = Status::Ok();
  void* stream = ctx.GetGPUComputeStream();
  DispatchFloat(dtype, [&](auto tag) { st = run(tag, scratch, keep_output, stream); });
  return ToOrtStatus(st);
}

}  // namespace ort_roi
