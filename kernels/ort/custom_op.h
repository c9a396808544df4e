// One OrtCustomOp type for every op: the per-op knowledge (name, inputs,
// outputs, how to build the kernel) lives in the Kernel class, so a binding
// file is just that class.
//
// A Kernel provides:
//   static constexpr const char* kName;
//   static constexpr size_t kInputs, kOutputs;
//   static ONNXTensorElementDataType InputType(size_t i, ONNXTensorElementDataType t);
//   static ONNXTensorElementDataType OutputType(size_t i);
//   static bool InputOptional(size_t i);
//   static Status Create(const OrtKernelInfo* info, Kernel* out);  // reads attributes
//   static void InferShape(const ShapeInfer& ctx);  // output types and shapes
//   OrtStatusPtr Compute(OrtKernelContext* ctx);
// and may provide
//   static constexpr bool kVariadicLast = true;  // the last input takes one or
//       // more tensors; kInputs counts it once, Compute sees every tensor.
//
// Types: every input reaches Compute whatever its type, so that the op's
// check names a wrong or mismatched one ("input 'W' must have X's type
// float64, got float32") instead of ORT refusing the graph with "no kernel
// def matches node inputs" or "Type 'tensor(int64)' of input parameter ...
// is invalid". ORT 1.23 and later, and any op whose outputs have a fixed
// type (NMS's int64 keep), allow every input to be of any type: the op is
// registered once so. Before 1.23 ORT allows a single input of any type when
// an output takes its type from the inputs, so such an op is registered
// twice per float type `t` (float, double, float16) there:
//  - "main typed": the main input (X, the feature maps) and the output of
//    type `t`, every other input of any type (a typed output lifts the
//    limit): a float X with mismatched rois, W, offset or mask;
//  - X of any type, the other float inputs and the output of type `t`:
//    an X that is not float (the output then takes X's type).
// ORT picks the first that matches the node; both run the same Kernel.
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "ort/op_helpers.h"
#include "ort/shape_infer.h"

namespace ort_roi {

// Kernel::kVariadicLast, false when the kernel does not declare it.
template <typename Kernel, typename = void>
struct VariadicLast : std::false_type {};
template <typename Kernel>
struct VariadicLast<Kernel, std::void_t<decltype(Kernel::kVariadicLast)>>
    : std::bool_constant<Kernel::kVariadicLast> {};

// Before 1.24 ONNX Runtime crashes on a node whose optional input is absent
// when the op has shape inference: it reads the type of every input, an
// absent one included, before it calls InferOutputShapeFn. There an op with
// optional inputs goes without shape inference (ORT types its outputs from
// its UNDEFINED-typed main input, and only their shapes stay unknown).
inline bool AbsentInputsBreakShapeInference() { return !OrtAtLeast(1, 24); }

template <typename Kernel>
bool HasOptionalInput() {
  for (size_t i = 0; i < Kernel::kInputs; ++i)
    if (Kernel::InputOptional(i)) return true;
  return false;
}

// Whether the op registers its InferOutputShapeFn in this ORT release.
template <typename Kernel>
bool HasShapeInference() {
  return !(HasOptionalInput<Kernel>() && AbsentInputsBreakShapeInference());
}

template <typename Kernel>
struct KernelHost {
  Kernel kernel;
  OrtStatusPtr ComputeV2(OrtKernelContext* ctx) {
    return Guard(Kernel::kName, [&] { return kernel.Compute(ctx); });
  }
};

template <typename Kernel>
struct CustomOp : Ort::CustomOpBase<CustomOp<Kernel>, KernelHost<Kernel>, /*WithStatus=*/true> {
  // `main_typed`: the inputs of open type in Kernel::InputType are of type
  // `type` here, the others of any type, and the outputs of open type are of
  // type `type` (see FloatTypeOps).
  CustomOp(const char* provider, ONNXTensorElementDataType type, bool main_typed = false)
      : provider_(provider), type_(type), main_typed_(main_typed) {
    if (!HasShapeInference<Kernel>()) return;
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
  ONNXTensorElementDataType GetInputType(size_t i) const {
    if (type_ == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) return type_;
    const ONNXTensorElementDataType t = Kernel::InputType(i, type_);
    if (!main_typed_) return t;
    return t == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED ? type_ : ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
  size_t GetOutputTypeCount() const { return Kernel::kOutputs; }
  ONNXTensorElementDataType GetOutputType(size_t i) const {
    const ONNXTensorElementDataType t = Kernel::OutputType(i);
    return main_typed_ && t == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED ? type_ : t;
  }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t i) const {
    if (VariadicLast<Kernel>::value && i + 1 == Kernel::kInputs) return INPUT_OUTPUT_VARIADIC;
    return Kernel::InputOptional(i) ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_REQUIRED;
  }
  // Used by ORT only for a variadic input: at least one tensor. Registered
  // as heterogeneous so that tensors of mixed types reach the kernel, whose
  // check names the odd one out ("input 'X_2' must have X_0's type"),
  // rather than ORT refusing the graph with a "bound to different types".
  // No minimum: a node without feature maps reaches the check, which names
  // what is missing.
  int GetVariadicInputMinArity() const { return 0; }
  bool GetVariadicInputHomogeneity() const { return false; }

 private:
  const char* provider_;
  ONNXTensorElementDataType type_;
  bool main_typed_;
};

// Kernel's outputs all have a fixed type (none takes it from the inputs).
template <typename Kernel>
bool OutputsTyped() {
  for (size_t i = 0; i < Kernel::kOutputs; ++i) {
    if (Kernel::OutputType(i) == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) return false;
  }
  return true;
}

// The op's registrations on one execution provider: one taking inputs of any
// type where ORT allows it, otherwise one per float type (see above).
template <typename Kernel>
std::vector<const OrtCustomOp*> FloatTypeOps(const char* provider) {
  static const CustomOp<Kernel> any(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED);
  static const CustomOp<Kernel> f32(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT);
  static const CustomOp<Kernel> f64(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE);
  static const CustomOp<Kernel> f16(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16);
  static const CustomOp<Kernel> main32(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, true);
  static const CustomOp<Kernel> main64(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, true);
  static const CustomOp<Kernel> main16(provider, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, true);
  // 1.23 lets every input be of any type while an output takes its type from
  // them, provided the op's shape inference sets that type (so not for
  // DeformConv2d in 1.23, which goes without it there).
  if (OutputsTyped<Kernel>() || (OrtAtLeast(1, 23) && HasShapeInference<Kernel>())) return {&any};
  return {&main32, &main64, &main16, &f32, &f64, &f16};
}

}  // namespace ort_roi
