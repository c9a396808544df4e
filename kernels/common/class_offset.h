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
#pragma once

#include <cmath>
#include <cstdint>

#include "half.h"

namespace ort_roi {

// T's arithmetic with one rounding to T per op.
template <typename T>
struct Rounded {
  static T FromClass(int64_t c) { return static_cast<T>(c); }
  static T Add(T a, T b) { return a + b; }
  static T Mul(T a, T b) { return a * b; }
  static bool IsNan(T v) { return std::isnan(v); }
  static bool Less(T a, T b) { return a < b; }
};
template <>
struct Rounded<Half> {
  static Half FromClass(int64_t c) { return FloatToHalf(static_cast<float>(c)); }
  static Half Add(Half a, Half b) { return FloatToHalf(HalfToFloat(a) + HalfToFloat(b)); }
  static Half Mul(Half a, Half b) { return FloatToHalf(HalfToFloat(a) * HalfToFloat(b)); }
  static bool IsNan(Half v) { return std::isnan(HalfToFloat(v)); }
  static bool Less(Half a, Half b) { return HalfToFloat(a) < HalfToFloat(b); }
};

// boxes.max() + 1 over the count values: NaN as soon as one value is NaN,
// as torch's max reduction gives.
template <typename T>
T ClassStep(const T* values, int64_t count) {
  using R = Rounded<T>;
  T max = values[0];
  for (int64_t i = 1; i < count && !R::IsNan(max); ++i) {
    if (R::IsNan(values[i]) || R::Less(max, values[i])) max = values[i];
  }
  return R::Add(max, R::FromClass(1));
}

// The four coordinates of one box moved by its class's offset.
template <typename T>
void OffsetBox(const T* box, int64_t class_index, T step, T* out) {
  using R = Rounded<T>;
  const T offset = R::Mul(R::FromClass(class_index), step);
  for (int c = 0; c < 4; ++c) out[c] = R::Add(box[c], offset);
}

}  // namespace ort_roi
