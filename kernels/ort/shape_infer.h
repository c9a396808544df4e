// Output type and shape inference inside ONNX Runtime (OrtCustomOp's
// InferOutputShapeFn). ORT needs it to type the outputs of ops whose inputs
// accept several types; it also gives downstream nodes known shapes.
//
// Inference is best effort: it never fails a graph. Inputs it cannot read
// leave output dims unknown, and Compute reports bad inputs by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ort/ort_api.h"

namespace ort_roi {

struct InferDim {
  int64_t value = -1;  // -1: not a known number
  std::string symbol;  // set when the dim is symbolic

  static InferDim Known(int64_t v) { return InferDim{v, {}}; }
};

struct InferTensor {
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<InferDim> dims;
  bool has_rank = false;

  // Dim i if the rank is `rank`, otherwise unknown.
  InferDim Dim(size_t rank, size_t i) const {
    return has_rank && dims.size() == rank ? dims[i] : InferDim{};
  }
};

class ShapeInfer {
 public:
  explicit ShapeInfer(OrtShapeInferContext* ctx) : ctx_(ctx) {}

  size_t InputCount() const;
  InferTensor Input(size_t i) const;
  int64_t AttrInt(const char* name, int64_t fallback) const;
  // An int list attribute, or empty when absent or unreadable.
  std::vector<int64_t> AttrInts(const char* name) const;
  void SetOutput(size_t i, ONNXTensorElementDataType type, const std::vector<InferDim>& dims) const;

 private:
  OrtShapeInferContext* ctx_;
};

}  // namespace ort_roi

namespace ort_roi {

// The shape of every roi pooling op's output: [K, C / channel_divisor,
// output_height, output_width], K from rois dim 0, C from the feature map
// (input `feature`) dim 1, of the feature map's type.
void InferPooledShape(const ShapeInfer& ctx, size_t feature, size_t rois, int64_t channel_divisor);

// output_height * output_width from the node's attributes (the channel
// divisor of the position-sensitive ops), or 0 when it is not a valid size.
int64_t PooledBins(const ShapeInfer& ctx);

}  // namespace ort_roi
