// One OrtCustomOp type for every op: the per-op knowledge (name, inputs,
// outputs, how to build the kernel) lives in the Kernel class, so a binding
// file is just that class.
//
// A Kernel provides:
//   static constexpr const char* kName;
//   static constexpr size_t kInputs, kOutputs;
//   static ONNXTensorElementDataType InputType(size_t i);   // UNDEFINED: any
//   static ONNXTensorElementDataType OutputType(size_t i);
//   static bool InputOptional(size_t i);
//   static Status Create(const OrtKernelInfo* info, Kernel* out);  // reads attributes
//   static void InferShape(const ShapeInfer& ctx);  // output types and shapes
//   OrtStatusPtr Compute(OrtKernelContext* ctx);
//
// Inputs typed UNDEFINED let one kernel serve float, double and float16 and
// let the op's own check report a dtype mismatch by name, instead of ORT
// refusing the graph with "no kernel def matches".
#pragma once

#include <memory>

#include "ort/op_helpers.h"
#include "ort/shape_infer.h"

namespace ort_roi {

template <typename Kernel>
struct KernelHost {
  Kernel kernel;
  OrtStatusPtr ComputeV2(OrtKernelContext* ctx) {
    return Guard(Kernel::kName, [&] { return kernel.Compute(ctx); });
  }
};

template <typename Kernel>
struct CustomOp : Ort::CustomOpBase<CustomOp<Kernel>, KernelHost<Kernel>, /*WithStatus=*/true> {
  explicit CustomOp(const char* provider) : provider_(provider) {
    this->InferOutputShapeFn = [](const OrtCustomOp*, OrtShapeInferContext* ctx) -> OrtStatusPtr {
      return Guard(Kernel::kName, [&]() -> OrtStatusPtr {
        Kernel::InferShape(ShapeInfer(ctx));
        return nullptr;
      });
    };
  }

  OrtStatusPtr CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
    return Guard(Kernel::kName, [&]() -> OrtStatusPtr {
      auto host = std::make_unique<KernelHost<Kernel>>();
      const Status st = Kernel::Create(info, &host->kernel);
      if (!st.ok()) return ToOrtStatus(st);
      *kernel = host.release();
      return nullptr;
    });
  }

  const char* GetName() const { return Kernel::kName; }
  const char* GetExecutionProviderType() const { return provider_; }
  size_t GetInputTypeCount() const { return Kernel::kInputs; }
  ONNXTensorElementDataType GetInputType(size_t i) const { return Kernel::InputType(i); }
  size_t GetOutputTypeCount() const { return Kernel::kOutputs; }
  ONNXTensorElementDataType GetOutputType(size_t i) const { return Kernel::OutputType(i); }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t i) const {
    return Kernel::InputOptional(i) ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_REQUIRED;
  }

 private:
  const char* provider_;
};

}  // namespace ort_roi
