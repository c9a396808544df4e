// Input rules shared by the roi pooling ops (RoIAlign, RoIPool, PSRoIAlign,
// PSRoIPool, MultiScaleRoIAlign). Each op's own <op>_check.cc composes these;
// no kernel or binding repeats them.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "half.h"
#include "status.h"
#include "tensor_desc.h"

namespace ort_roi {

bool IsFloatType(DType t);

// X is [N, C, H, W] of a float type; rois is [K, 5] of the same type.
Status CheckFeatureMap(const char* op, const char* name, const TensorDesc& x);
Status CheckRois(const char* op, const TensorDesc& rois, DType feature_type);

Status CheckPooledSize(const char* op, int64_t output_height, int64_t output_width);

// The output [dims] of `dtype` is refused before it is allocated when its
// size overflows int64 (also with a zero dim left out) or passes
// kMaxOutputBytes: attributes alone (an
// output_height of 2^20, say) can ask for more memory than any machine has.
constexpr int64_t kMaxOutputBytes = int64_t{1} << 40;  // 1 TiB
Status CheckOutputSize(const char* op, const std::vector<int64_t>& dims, DType dtype);

// The output of a roi pooling op, [K, C, output_height, output_width]; call
// after CheckPooledSize.
Status CheckPooledOutputSize(const char* op, int64_t num_rois, int64_t channels,
                             int64_t output_height, int64_t output_width, DType dtype);
Status CheckSpatialScale(const char* op, const char* name, double spatial_scale);
Status CheckSamplingRatio(const char* op, int64_t sampling_ratio);
Status CheckFlag(const char* op, const char* name, int64_t value);

// PSRoIAlign, PSRoIPool: X's channels split into output_height * output_width
// groups, one per bin. Call after CheckPooledSize and CheckFeatureMap.
Status CheckPositionSensitiveChannels(const char* op, const TensorDesc& x, int64_t output_height,
                                      int64_t output_width);

// The inputs and output both position-sensitive ops check, in this order:
// X (CheckFeatureMap), rois, X's channel split, Y's size. Call after
// CheckPooledSize.
Status CheckPositionSensitiveInputs(const char* op, const TensorDesc& x, const TensorDesc& rois,
                                    int64_t output_height, int64_t output_width);

// Every roi's batch index (column 0) is an integer in [0, batch). torchvision
// casts it to int unchecked, so a bad one reads another image or out of bounds.
template <typename T>
Status CheckRoisBatchIndex(const char* op, const T* rois, int64_t num_rois, int64_t batch) {
  using A = typename Acc<T>::type;
  for (int64_t k = 0; k < num_rois; ++k) {
    const A b = Load<A>(rois[k * 5]);
    if (!(b >= A(0) && b < static_cast<A>(batch)) || std::floor(b) != b) {
      return Invalid(op, "input 'rois' row ", k, " has batch index ", b,
                     ", which is not an integer in [0, ", batch, ")");
    }
  }
  return Status::Ok();
}

}  // namespace ort_roi
