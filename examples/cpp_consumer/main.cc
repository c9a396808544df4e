// Serves a model with ort_roi's nodes as a C++ deployment does: ONNX
// Runtime's C++ API, with the library registered on the session options.
//
//   ort_roi_consumer LIBRARY CASE_DIR
//
// CASE_DIR holds model.onnx, inputs/<input name>.npy for every model input
// and expected/<output name>.npy for every output (make_case.py writes one
// with torchvision's results). Exit status: 0 when every output matches,
// 1 when one differs, 2 when the case cannot be run.

#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "npy.h"

namespace fs = std::filesystem;

namespace {

// The project's float32 tolerance against torchvision; integers must be equal.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-6;

ONNXTensorElementDataType ElementType(const std::string& dtype) {
  if (dtype == "<f4") return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  if (dtype == "<f8") return ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;  // the only other dtype ReadNpy accepts
}

double ValueAt(const void* data, ONNXTensorElementDataType type, size_t i) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return static_cast<const float*>(data)[i];
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return static_cast<const double*>(data)[i];
    default: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
  }
}

bool Near(double actual, double expected, bool exact) {
  if (actual == expected || (std::isnan(actual) && std::isnan(expected))) return true;
  return !exact && std::fabs(actual - expected) <= kAtol + kRtol * std::fabs(expected);
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Prints how `output` compares with `expected`; true when it matches.
bool Compare(const std::string& name, const Ort::Value& output, const NpyArray& expected) {
  auto info = output.GetTensorTypeAndShapeInfo();
  const ONNXTensorElementDataType type = info.GetElementType();
  const std::vector<int64_t> shape = info.GetShape();
  if (type != ElementType(expected.dtype)) {
    std::printf("%s: element type %d, expected %s\n", name.c_str(), static_cast<int>(type), expected.dtype.c_str());
    return false;
  }
  if (shape != expected.shape) {
    std::printf("%s: shape %s, expected %s\n", name.c_str(), ShapeText(shape).c_str(),
                ShapeText(expected.shape).c_str());
    return false;
  }
  const size_t count = info.GetElementCount();
  const void* data = output.GetTensorRawData();
  const bool exact = type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
  size_t differ = 0, first = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!Near(ValueAt(data, type, i), ValueAt(expected.bytes.data(), type, i), exact) && differ++ == 0) first = i;
  }
  if (differ == 0) {
    std::printf("%s: %s, %zu values match\n", name.c_str(), ShapeText(shape).c_str(), count);
    return true;
  }
  std::printf("%s: %zu of %zu values differ; the first, at flat index %zu, is %.9g where %.9g is expected\n",
              name.c_str(), differ, count, first, ValueAt(data, type, first),
              ValueAt(expected.bytes.data(), type, first));
  return false;
}

int Run(const char* library, const fs::path& dir) {
  std::printf("ONNX Runtime %s\n", Ort::GetVersionString().c_str());
  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "ort_roi_consumer");
  Ort::SessionOptions options;
  options.RegisterCustomOpsLibrary(library);
  Ort::Session session(env, (dir / "model.onnx").c_str(), options);
  Ort::AllocatorWithDefaultOptions allocator;

  // The arrays hold the input data that the tensors below point into.
  std::vector<std::string> input_names, output_names;
  std::vector<NpyArray> arrays;
  for (size_t i = 0; i < session.GetInputCount(); ++i) {
    input_names.push_back(session.GetInputNameAllocated(i, allocator).get());
    arrays.push_back(ReadNpy((dir / "inputs" / (input_names.back() + ".npy")).string()));
  }
  for (size_t i = 0; i < session.GetOutputCount(); ++i) {
    output_names.push_back(session.GetOutputNameAllocated(i, allocator).get());
  }

  const Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<Ort::Value> inputs;
  std::vector<const char*> input_ptrs, output_ptrs;
  for (size_t i = 0; i < arrays.size(); ++i) {
    NpyArray& a = arrays[i];
    inputs.push_back(Ort::Value::CreateTensor(memory, a.bytes.data(), a.bytes.size(), a.shape.data(),
                                              a.shape.size(), ElementType(a.dtype)));
    input_ptrs.push_back(input_names[i].c_str());
  }
  for (const std::string& name : output_names) output_ptrs.push_back(name.c_str());

  std::vector<Ort::Value> outputs = session.Run(Ort::RunOptions{nullptr}, input_ptrs.data(), inputs.data(),
                                                inputs.size(), output_ptrs.data(), output_ptrs.size());
  bool all_match = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NpyArray expected = ReadNpy((dir / "expected" / (output_names[i] + ".npy")).string());
    all_match = Compare(output_names[i], outputs[i], expected) && all_match;
  }
  std::printf(all_match ? "match\n" : "MISMATCH\n");
  return all_match ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s LIBRARY CASE_DIR\n", argv[0]);
    return 2;
  }
  try {
    return Run(argv[1], argv[2]);
  } catch (const std::exception& e) {  // Ort::Exception included: ORT's own message
    std::fprintf(stderr, "ort_roi_consumer: %s\n", e.what());
    return 2;
  }
}
