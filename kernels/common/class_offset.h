// torchvision's coordinate trick for batched NMS, rounded as torch rounds it:
//
//   offsets = idxs.to(boxes) * (boxes.max() + 1);  boxes + offsets[:, None]
//
// Every step is one tensor op in the boxes' own type, so each result is
// rounded to that type before the next: int64 -> float rounds to nearest,
// and float16 goes through float (torch converts int64 to float16 via float,
// and does float16 arithmetic in float, rounding back after each op). The
// IoUs NMS then computes are those of these rounded boxes, which is why a
// box can survive here and not in a per-class NMS, or the other way round.
//
// Host and device (the CUDA kernel of BatchedNMS runs the same steps): the
// conversions round to nearest on both, and each op is its own rounding
// (the CUDA build does not fuse a multiply into the add that follows).
#pragma once

#include <cstdint>

#include "half.h"
#include "host_device.h"

namespace ort_roi {

// T's arithmetic with one rounding to T per op.
template <typename T>
struct Rounded {
  static ORT_ROI_HD T FromClass(int64_t c) { return static_cast<T>(c); }
  static ORT_ROI_HD T Add(T a, T b) { return a + b; }
  static ORT_ROI_HD T Mul(T a, T b) { return a * b; }
  static ORT_ROI_HD bool IsNan(T v) { return v != v; }
  static ORT_ROI_HD bool Less(T a, T b) { return a < b; }
};
template <>
struct Rounded<Half> {
  static ORT_ROI_HD Half FromClass(int64_t c) { return FloatToHalf(static_cast<float>(c)); }
  static ORT_ROI_HD Half Add(Half a, Half b) {
    return FloatToHalf(HalfToFloat(a) + HalfToFloat(b));
  }
  static ORT_ROI_HD Half Mul(Half a, Half b) {
    return FloatToHalf(HalfToFloat(a) * HalfToFloat(b));
  }
  static ORT_ROI_HD bool IsNan(Half v) { return Rounded<float>::IsNan(HalfToFloat(v)); }
  static ORT_ROI_HD bool Less(Half a, Half b) { return HalfToFloat(a) < HalfToFloat(b); }
};

// One step of boxes.max(): NaN as soon as either is NaN, as torch's max
// reduction gives. Which NaN, or which of -0 and +0, does not matter: the
// step below is NaN, or 1, either way.
template <typename T>
ORT_ROI_HD T NanMax(T acc, T v) {
  using R = Rounded<T>;
  if (R::IsNan(acc)) return acc;
  return R::IsNan(v) || R::Less(acc, v) ? v : acc;
}

// boxes.max() + 1, from the max.
template <typename T>
ORT_ROI_HD T ClassStepOf(T max) {
  return Rounded<T>::Add(max, Rounded<T>::FromClass(1));
}

// boxes.max() + 1 over the count (> 0) values.
template <typename T>
T ClassStep(const T* values, int64_t count) {
  T max = values[0];
  for (int64_t i = 1; i < count; ++i) max = NanMax(max, values[i]);
  return ClassStepOf(max);
}

// The four coordinates of one box moved by its class's offset.
template <typename T>
ORT_ROI_HD void OffsetBox(const T* box, int64_t class_index, T step, T* out) {
  using R = Rounded<T>;
  const T offset = R::Mul(R::FromClass(class_index), step);
  for (int c = 0; c < 4; ++c) out[c] = R::Add(box[c], offset);
}

}  // namespace ort_roi
