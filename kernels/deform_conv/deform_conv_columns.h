// The column step of DeformConv2d on the CPU, for one channel: every kernel
// tap's samples at a run of output positions, written straight into the GEMM's
// packed B panels (common/gemm.h). The plain C++ version is in
// deform_conv_cpu.cc; deform_conv_columns_avx2.cc and _avx512.cc gather eight
// or sixteen positions at once. Declarations and a plain struct only (see
// common/cpu_isa.h).
#pragma once

#include <cstdint>

namespace ort_roi {

// For each of `channels` channels ch (the plane of channel ch at plane + ch *
// plane_stride, all of one offset group), position q's tap t reads the
// corners at index[(t * 4 + k) * stride + q] of that plane (k < 4; an index
// < 0 reads 0) and gives mask[t * stride + q] * (w0 * v0 + w1 * v1 + w2 * v2 +
// w3 * v3), in torchvision's order, with wk = weight[(t * 4 + k) * stride +
// q]. It goes to out[p * panel_stride + (ch * taps + t) * nr + j] for
// q = p * nr + j, panels p in [p0, p1). Panels are the outer loop, so that a
// panel's taps stay in L1 while every channel applies them. Every channel's
// plane pointer may read elements [0, extent) (at least one past the largest
// index), which lets the AVX-512 code load both corners of a row at once.
template <typename A>
struct DeformColumnsArgs {
  const A* plane;
  int64_t channels, plane_stride, extent;
  const int32_t* index;
  const A* weight;
  const A* mask;
  int64_t taps, stride, nr, p0, p1;
  A* out;
  int64_t panel_stride;
};

// nr must be 16 (AVX2) or 32 (AVX-512) for float, 8 or 16 for double.
void DeformColumnsAvx2(const DeformColumnsArgs<float>& a);
void DeformColumnsAvx2(const DeformColumnsArgs<double>& a);
void DeformColumnsAvx512(const DeformColumnsArgs<float>& a);
void DeformColumnsAvx512(const DeformColumnsArgs<double>& a);

}  // namespace ort_roi
