// What the checks need to know of a tensor: its element type and shape.
// Runtime-neutral, so checks can be shared by every execution provider.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace ort_roi {

enum class DType { kFloat32, kFloat64, kFloat16, kInt64, kInt32, kOther };

inline const char* DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kFloat16: return "float16";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    default: return "an unsupported type";
  }
}

struct TensorDesc {
  DType dtype;
  std::vector<int64_t> dims;

  size_t rank() const { return dims.size(); }
  int64_t dim(size_t i) const { return dims[i]; }
};

inline std::string ShapeString(const std::vector<int64_t>& dims) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < dims.size(); ++i) s << (i ? ", " : "") << dims[i];
  s << ']';
  return s.str();
}

}  // namespace ort_roi
