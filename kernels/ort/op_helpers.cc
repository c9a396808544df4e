#include "ort/op_helpers.h"

#include <cstdio>

namespace ort_roi {

namespace {
int ort_major = 0, ort_minor = 0;
}  // namespace

void SetOrtVersion(const char* version) {
  if (std::sscanf(version, "%d.%d", &ort_major, &ort_minor) != 2) ort_major = ort_minor = 0;
}

bool OrtAtLeast(int major, int minor) {
  return ort_major > major || (ort_major == major && ort_minor >= minor);
}

namespace {

// Reads attribute `name` as one ORT type; false, with nothing written, when
// the node lacks it or has it with another type.
bool Read(const OrtKernelInfo* info, const char* name, int64_t* out) {
  return Ort::Status(Ort::GetApi().KernelInfoGetAttribute_int64(info, name, out)).IsOK();
}

bool Read(const OrtKernelInfo* info, const char* name, float* out) {
  return Ort::Status(Ort::GetApi().KernelInfoGetAttribute_float(info, name, out)).IsOK();
}

bool Read(const OrtKernelInfo* info, const char* name, std::string* out) {
  size_t n = 0;  // the length with its terminating zero
  if (!Ort::Status(Ort::GetApi().KernelInfoGetAttribute_string(info, name, nullptr, &n)).IsOK()) {
    return false;
  }
  std::string v(n, '\0');
  if (n > 0 &&
      !Ort::Status(Ort::GetApi().KernelInfoGetAttribute_string(info, name, &v[0], &n)).IsOK()) {
    return false;
  }
  v.resize(n > 0 ? n - 1 : 0);
  *out = v;
  return true;
}

// ORT reads a list attribute of the other element type as an empty list,
// so an empty list counts as "not this type" (and an explicitly empty list
// as absent, which gives the same default).
bool Read(const OrtKernelInfo* info, const char* name, std::vector<int64_t>* out) {
  size_t n = 0;
  const OrtApi& api = Ort::GetApi();
  if (!Ort::Status(api.KernelInfoGetAttributeArray_int64(info, name, nullptr, &n)).IsOK() || n == 0) {
    return false;
  }
  std::vector<int64_t> v(n);
  if (!Ort::Status(api.KernelInfoGetAttributeArray_int64(info, name, v.data(), &n)).IsOK()) {
    return false;
  }
  *out = v;
  return true;
}

bool Read(const OrtKernelInfo* info, const char* name, std::vector<float>* out) {
  size_t n = 0;
  const OrtApi& api = Ort::GetApi();
  if (!Ort::Status(api.KernelInfoGetAttributeArray_float(info, name, nullptr, &n)).IsOK() || n == 0) {
    return false;
  }
  std::vector<float> v(n);
  if (!Ort::Status(api.KernelInfoGetAttributeArray_float(info, name, v.data(), &n)).IsOK()) {
    return false;
  }
  *out = v;
  return true;
}

const char* Kind(int64_t*) { return "an int"; }
const char* Kind(float*) { return "a float"; }
const char* Kind(std::string*) { return "a string"; }
const char* Kind(std::vector<int64_t>*) { return "a list of ints"; }
const char* Kind(std::vector<float>*) { return "a list of floats"; }
const char* Noun(int64_t*) { return "int"; }
const char* Noun(float*) { return "float"; }
const char* Noun(std::vector<float>*) { return "float list"; }

// What the node gives for `name` when it is not of the type asked for: the
// kind it has, or nullptr when the node lacks it (ORT's API has no call that
// tells the two apart, so each type is tried).
const char* OtherKind(const OrtKernelInfo* info, const char* name) {
  int64_t i = 0;
  float f = 0.f;
  std::string s;
  std::vector<int64_t> is;
  std::vector<float> fs;
  if (Read(info, name, &i)) return Kind(&i);
  if (Read(info, name, &f)) return Kind(&f);
  if (Read(info, name, &s)) return Kind(&s);
  if (Read(info, name, &is)) return Kind(&is);
  if (Read(info, name, &fs)) return Kind(&fs);
  return nullptr;
}

template <typename T>
Status ReadAttr(const char* op, const OrtKernelInfo* info, const char* name, T* out) {
  if (Read(info, name, out)) return Status::Ok();
  if (const char* given = OtherKind(info, name)) {
    return Invalid(op, "attribute '", name, "' must be ", Kind(out), ", got ", given);
  }
  return Status::Ok();
}

template <typename T>
Status ReadRequired(const char* op, const OrtKernelInfo* info, const char* name, T* out) {
  if (Read(info, name, out)) return Status::Ok();
  ORT_ROI_RETURN_IF_ERROR(ReadAttr(op, info, name, out));
  return Invalid(op, "required ", Noun(out), " attribute '", name, "' is missing");
}

}  // namespace

Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, int64_t* out) {
  return ReadAttr(op, info, name, out);
}

Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, float* out) {
  return ReadAttr(op, info, name, out);
}

Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name, std::string* out) {
  return ReadAttr(op, info, name, out);
}

Status OptionalAttr(const char* op, const OrtKernelInfo* info, const char* name,
                    std::vector<int64_t>* out) {
  return ReadAttr(op, info, name, out);
}

Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name, int64_t* out) {
  return ReadRequired(op, info, name, out);
}

Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name, float* out) {
  return ReadRequired(op, info, name, out);
}

Status RequiredAttr(const char* op, const OrtKernelInfo* info, const char* name,
                    std::vector<float>* out) {
  return ReadRequired(op, info, name, out);
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

Status CheckOutputType(const char* op, const Ort::UnownedValue& y, DType dtype) {
  const DType given = ToDType(y.GetTensorTypeAndShapeInfo().GetElementType());
  if (given != dtype) {
    return Invalid(op, "output 'Y' is typed ", DTypeName(given), " in the graph, but the inputs are ",
                   DTypeName(dtype));
  }
  return Status::Ok();
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
