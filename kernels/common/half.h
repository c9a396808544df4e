// float16 storage for the kernels. ORT hands us IEEE binary16 bits; the
// kernels read them into float, accumulate in float, and write back rounded
// to nearest even. The same bits on the host and on a CUDA device: device
// code converts with the hardware's instructions, host code with the integer
// arithmetic below, and both round the same way.
#pragma once

#include <cstdint>
#include <cstring>

#include "host_device.h"

#if defined(__CUDACC__)
#include <cuda_fp16.h>
#endif

namespace ort_roi {

struct Half {
  uint16_t bits;
};

inline float HalfToFloatHost(Half h) {
  const uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  uint32_t exp = (h.bits >> 10) & 0x1fu;
  uint32_t mant = h.bits & 0x3ffu;
  uint32_t out;
  if (exp == 0x1f) {
    out = sign | 0x7f800000u | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    out = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    out = sign;
  } else {
    // Subnormal half: shift the mantissa up until it is normal.
    exp = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    out = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &out, sizeof f);
  return f;
}

inline Half FloatToHalfHost(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN; keep NaN a NaN
    return Half{static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u))};
  }
  if (abs >= 0x477ff000u) {  // rounds past the largest half: inf
    return Half{static_cast<uint16_t>(sign | 0x7c00u)};
  }
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    if (abs < 0x33000000u) return Half{sign};  // under half the smallest subnormal
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    const uint32_t kept = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    const uint32_t rounded = kept + ((rest > halfway || (rest == halfway && (kept & 1u))) ? 1u : 0u);
    return Half{static_cast<uint16_t>(sign | rounded)};
  }
  // Normal: rebias the exponent and round the 13 dropped bits to nearest even.
  const uint32_t rebased = abs - 0x38000000u;
  const uint32_t kept = rebased >> 13;
  const uint32_t rest = rebased & 0x1fffu;
  const uint32_t rounded = kept + ((rest > 0x1000u || (rest == 0x1000u && (kept & 1u))) ? 1u : 0u);
  return Half{static_cast<uint16_t>(sign | rounded)};
}

ORT_ROI_HD float HalfToFloat(Half h) {
#if defined(__CUDA_ARCH__)
  return __half2float(__ushort_as_half(h.bits));
#else
  return HalfToFloatHost(h);
#endif
}

ORT_ROI_HD Half FloatToHalf(float f) {
#if defined(__CUDA_ARCH__)
  return Half{__half_as_ushort(__float2half_rn(f))};
#else
  return FloatToHalfHost(f);
#endif
}

// Load/store between a storage type and its accumulation type, so one kernel
// template serves float, double and float16.
template <typename T>
struct Acc {
  using type = T;
};
template <>
struct Acc<Half> {
  using type = float;
};

template <typename A, typename T>
ORT_ROI_HD A Load(T v) {
  return static_cast<A>(v);
}
template <typename A>
ORT_ROI_HD A Load(Half v) {
  return static_cast<A>(HalfToFloat(v));
}

template <typename T, typename A>
ORT_ROI_HD T Store(A v) {
  return static_cast<T>(v);
}
template <>
ORT_ROI_HD Half Store<Half, float>(float v) {
  return FloatToHalf(v);
}

}  // namespace ort_roi
