// Small helpers every op binding uses: attributes, tensor descriptions,
// status conversion, the thread pool, and dtype dispatch.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "common/half.h"
#include "common/parallel.h"
#include "common/status.h"
#include "common/tensor_desc.h"
#include "ort/ort_api.h"

namespace ort_roi {

// Attributes. The optional forms leave `*out` (the default) as it is when
// the node lacks the attribute; the required forms fail when it is missing.
// Either fails, naming op and attribute, when the node gives the attribute
// with another type (a float `sampling_ratio`, say), which would otherwise
// read as absent and silently take the default.
Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, int64_t* out);
Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, float* out);
Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, std::string* out);
// An int list attribute, or empty when the node does not set it.
Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name,
                    std::vector<int64_t>* out);
Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name, int64_t* out);
Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name, float* out);
Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name,
                    std::vector<float>* out);

// The ONNX Runtime release that loaded the library ("1.21.0"), set once by
// RegisterCustomOps before any op is built, and whether it is `major.minor`
// or later (custom_op.h asks what the release allows).
void SetOrtVersion(const char* version);
bool OrtAtLeast(int major, int minor);

DType ToDType(ONNXTensorElementDataType t);
TensorDesc Describe(const Ort::ConstValue& v);
// Output `y` has the type the kernel writes, `dtype`. ORT types an output
// before any check runs (from one of the inputs, or by shape inference), so
// this guards the kernel against writing past a buffer of a smaller type.
Status CheckOutputType(const char* op, const Ort::UnownedValue& y, DType dtype);

// Every input of the node with its description, in input order. For ops
// whose inputs are all required: an absent optional input has no tensor.
struct NodeInputs {
  std::vector<Ort::ConstValue> values;
  std::vector<TensorDesc> descs;
};
NodeInputs ReadInputs(const Ort::KernelContext& ctx);

OrtStatusPtr ToOrtStatus(const Status& s);

// Runs `body` and turns anything it throws into an ORT status, so that no
// exception crosses the C boundary back into ONNX Runtime.
template <typename Body>
OrtStatusPtr Guard(const char* op, Body&& body) {
  try {
    return body();
  } catch (const Ort::Exception& e) {
    return Ort::GetApi().CreateStatus(e.GetOrtErrorCode(), (std::string(op) + ": " + e.what()).c_str());
  } catch (const std::exception& e) {
    return Ort::GetApi().CreateStatus(ORT_FAIL, (std::string(op) + ": " + e.what()).c_str());
  }
}

// A ParallelFor backed by the session's intra-op thread pool.
ParallelFor OrtParallelFor(const Ort::KernelContext& ctx);

// Calls fn(T{}) with T the C++ storage type of a float dtype.
template <typename Fn>
void DispatchFloat(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: fn(float{}); break;
    case DType::kFloat64: fn(double{}); break;
    case DType::kFloat16: fn(Half{}); break;
    default: break;  // refused by the op's check before dispatch
  }
}

template <typename T>
const T* InputData(const Ort::ConstValue& v) {
  return reinterpret_cast<const T*>(v.GetTensorRawData());
}

}  // namespace ort_roi
