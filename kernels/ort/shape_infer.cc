#include "ort/shape_infer.h"

#include <atomic>

namespace ort_roi {

size_t ShapeInfer::InputCount() const {
  size_t n = 0;
  Ort::ThrowOnError(Ort::GetApi().ShapeInferContext_GetInputCount(ctx_, &n));
  return n;
}

InferTensor ShapeInfer::Input(size_t i) const {
  InferTensor t;
  OrtTensorTypeAndShapeInfo* raw = nullptr;
  OrtStatus* st = Ort::GetApi().ShapeInferContext_GetInputTypeShape(ctx_, i, &raw);
  if (st != nullptr) {  // absent optional input, or not a tensor
    Ort::GetApi().ReleaseStatus(st);
    return t;
  }
  // The info belongs to the context: read it through a non-owning view.
  Ort::ConstTensorTypeAndShapeInfo info(raw);
  t.type = info.GetElementType();
  const std::vector<int64_t> shape = info.GetShape();
  std::vector<const char*> symbols(shape.size(), nullptr);
  info.GetSymbolicDimensions(symbols.data(), symbols.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    InferDim dim{shape[d], {}};
    if (symbols[d] != nullptr && symbols[d][0] != '\0') dim.symbol = symbols[d];
    t.dims.push_back(dim);
  }
  // ORT reports an input of unknown rank as rank 0; a real scalar is never
  // a valid input of ours, so both read as "rank unknown".
  t.has_rank = !shape.empty();
  return t;
}

int64_t ShapeInfer::AttrInt(const char* name, int64_t fallback) const {
  const OrtOpAttr* attr = nullptr;
  OrtStatus* st = Ort::GetApi().ShapeInferContext_GetAttribute(ctx_, name, &attr);
  if (st != nullptr || attr == nullptr) {
    if (st != nullptr) Ort::GetApi().ReleaseStatus(st);
    return fallback;
  }
  int64_t v = fallback;
  size_t len = 0;
  st = Ort::GetApi().ReadOpAttr(attr, ORT_OP_ATTR_INT, &v, sizeof v, &len);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return fallback;
  }
  return v;
}

std::vector<int64_t> ShapeInfer::AttrInts(const char* name) const {
  const OrtOpAttr* attr = nullptr;
  OrtStatus* st = Ort::GetApi().ShapeInferContext_GetAttribute(ctx_, name, &attr);
  if (st != nullptr || attr == nullptr) {
    if (st != nullptr) Ort::GetApi().ReleaseStatus(st);
    return {};
  }
  // ReadOpAttr reports the size it needs when the buffer is too small.
  size_t bytes = 0;
  st = Ort::GetApi().ReadOpAttr(attr, ORT_OP_ATTR_INTS, nullptr, 0, &bytes);
  if (st != nullptr) Ort::GetApi().ReleaseStatus(st);
  std::vector<int64_t> v(bytes / sizeof(int64_t));
  if (v.empty()) return v;
  st = Ort::GetApi().ReadOpAttr(attr, ORT_OP_ATTR_INTS, v.data(), v.size() * sizeof(int64_t), &bytes);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return {};
  }
  return v;
}

void ShapeInfer::SetOutput(size_t i, ONNXTensorElementDataType type,
                           const std::vector<InferDim>& dims) const {
  OrtTensorTypeAndShapeInfo* raw = nullptr;
  Ort::ThrowOnError(Ort::GetApi().CreateTensorTypeAndShapeInfo(&raw));
  Ort::TensorTypeAndShapeInfo info(raw);
  // ORT would record an unknown dim as the number -1 and then warn that
  // every real shape differs from it; a fresh symbol says "unknown" instead.
  static std::atomic<uint64_t> next_unknown{0};
  std::vector<std::string> names;
  for (const InferDim& d : dims) {
    names.push_back(!d.symbol.empty() || d.value >= 0
                        ? d.symbol
                        : "ort_roi_unk_" + std::to_string(next_unknown++));
  }
  std::vector<int64_t> values;
  std::vector<const char*> symbols;
  for (size_t k = 0; k < dims.size(); ++k) {
    values.push_back(names[k].empty() ? dims[k].value : -1);
    symbols.push_back(names[k].c_str());
  }
  Ort::ThrowOnError(Ort::GetApi().SetTensorElementType(raw, type));
  Ort::ThrowOnError(Ort::GetApi().SetDimensions(raw, values.data(), values.size()));
  Ort::ThrowOnError(Ort::GetApi().SetSymbolicDimensions(raw, symbols.data(), symbols.size()));
  Ort::ThrowOnError(Ort::GetApi().ShapeInferContext_SetOutputTypeShape(ctx_, i, raw));
}

}  // namespace ort_roi

namespace ort_roi {

void InferPooledShape(const ShapeInfer& ctx, size_t feature, size_t rois, int64_t channel_divisor) {
  const InferTensor x = ctx.Input(feature);
  const InferTensor r = ctx.Input(rois);
  InferDim channels = x.Dim(4, 1);
  if (channel_divisor != 1) {
    // A divisor that is unknown (<= 0) or does not divide C is left for
    // Compute to report; the dim is then unknown.
    const bool divides = channels.symbol.empty() && channels.value >= 0 && channel_divisor > 0 &&
                         channels.value % channel_divisor == 0;
    channels = divides ? InferDim::Known(channels.value / channel_divisor) : InferDim{};
  }
  const ONNXTensorElementDataType type =
      x.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED ? x.type : r.type;
  ctx.SetOutput(0, type,
                {r.Dim(2, 0), channels, InferDim::Known(ctx.AttrInt("output_height", -1)),
                 InferDim::Known(ctx.AttrInt("output_width", -1))});
}

int64_t PooledBins(const ShapeInfer& ctx) {
  const int64_t h = ctx.AttrInt("output_height", 0), w = ctx.AttrInt("output_width", 0);
  int64_t bins = 0;
  if (h <= 0 || w <= 0 || __builtin_mul_overflow(h, w, &bins)) return 0;
  return bins;
}

}  // namespace ort_roi
