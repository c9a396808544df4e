#include "ort/op_helpers.h"

namespace ort_roi {

int64_t AttrInt(const OrtKernelInfo* info, const char* name, int64_t fallback) {
  int64_t v = 0;
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_int64(info, name, &v);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return fallback;
  }
  return v;
}

float AttrFloat(const OrtKernelInfo* info, const char* name, float fallback) {
  float v = 0.f;
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_float(info, name, &v);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return fallback;
  }
  return v;
}

std::vector<int64_t> AttrInts(const OrtKernelInfo* info, const char* name) {
  std::vector<int64_t> v;
  size_t n = 0;
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttributeArray_int64(info, name, nullptr, &n);
  if (st == nullptr && n > 0) {
    v.resize(n);
    st = Ort::GetApi().KernelInfoGetAttributeArray_int64(info, name, v.data(), &n);
  }
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    v.clear();
  }
  return v;
}

std::string AttrString(const OrtKernelInfo* info, const char* name, const std::string& fallback) {
  size_t n = 0;  // the length with its terminating zero
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_string(info, name, nullptr, &n);
  std::string v(n, '\0');
  if (st == nullptr && n > 0) st = Ort::GetApi().KernelInfoGetAttribute_string(info, name, &v[0], &n);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return fallback;
  }
  v.resize(n > 0 ? n - 1 : 0);
  return v;
}

Status RequiredAttrInt(const char* op, const OrtKernelInfo* info, const char* name, int64_t* out) {
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_int64(info, name, out);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return Invalid(op, "required int attribute '", name, "' is missing");
  }
  return Status::Ok();
}

Status RequiredAttrFloat(const char* op, const OrtKernelInfo* info, const char* name, float* out) {
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_float(info, name, out);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return Invalid(op, "required float attribute '", name, "' is missing");
  }
  return Status::Ok();
}

Status RequiredAttrFloats(const char* op, const OrtKernelInfo* info, const char* name,
                          std::vector<float>* out) {
  size_t n = 0;
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttributeArray_float(info, name, nullptr, &n);
  if (st == nullptr) {
    out->resize(n);
    st = Ort::GetApi().KernelInfoGetAttributeArray_float(info, name, out->data(), &n);
  }
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return Invalid(op, "required float list attribute '", name, "' is missing");
  }
  return Status::Ok();
}

DType ToDType(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return DType::kFloat32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return DType::kFloat64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return DType::kFloat16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return DType::kInt64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return DType::kInt32;
    default: return DType::kOther;
  }
}

TensorDesc Describe(const Ort::ConstValue& v) {
  const auto info = v.GetTensorTypeAndShapeInfo();
  return TensorDesc{ToDType(info.GetElementType()), info.GetShape()};
}

NodeInputs ReadInputs(const Ort::KernelContext& ctx) {
  NodeInputs in;
  for (size_t i = 0; i < ctx.GetInputCount(); ++i) {
    in.values.push_back(ctx.GetInput(i));
    in.descs.push_back(Describe(in.values.back()));
  }
  return in;
}

OrtStatusPtr ToOrtStatus(const Status& s) {
  if (s.ok()) return nullptr;
  return Ort::GetApi().CreateStatus(s.invalid_argument() ? ORT_INVALID_ARGUMENT : ORT_EP_FAIL,
                                    s.message().c_str());
}

ParallelFor OrtParallelFor(const Ort::KernelContext& ctx) {
  return [&ctx](std::size_t n, const std::function<void(std::size_t)>& body) {
    if (n == 0) return;
    if (n == 1) {
      body(0);
      return;
    }
    auto call = [](void* data, size_t i) {
      (*static_cast<const std::function<void(std::size_t)>*>(data))(i);
    };
    ctx.ParallelFor(call, n, 0, const_cast<std::function<void(std::size_t)>*>(&body));
  };
}

}  // namespace ort_roi
