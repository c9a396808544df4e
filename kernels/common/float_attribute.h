// ONNX stores float attributes as float32, while torchvision takes thresholds
// as Python floats (double) and compares in double. The double a user meant
// is, almost always, a short decimal like 0.3 or 0.45: recover it as the
// shortest decimal that rounds to the stored float32, read as a double.
// (float32(0.3) is 0.300000012, above 0.3; torchvision suppresses an IoU of
// exactly float32(0.3) at threshold 0.3, and so must we.)
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ort_roi {

inline double ShortestDecimal(float f) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {  // 9 digits always round-trip
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(text, nullptr) == f) return std::strtod(text, nullptr);
  }
  return static_cast<double>(f);  // NaN: never equal to itself
}

}  // namespace ort_roi
