// The column step of DeformConv2d on the CPU: the bilinear samples of a block
// of output positions, one row per position, written as the rows of the
// GEMM's left operand (common/gemm.h's GemmRows). The input is channels-last,
// so that one tap of one position reads each of its four corners as a run of
// contiguous channels, shared by every channel of the offset group: vector
// loads and stores, no gathers. deform_conv_columns_simd.h is the one body;
// deform_conv_cpu.cc (plain C++), _avx2.cc and _avx512.cc compile it.
// Declarations and plain structs only (see common/cpu_isa.h).
#pragma once

#include <cstdint>

namespace ort_roi {

// One kernel tap of one output position: where each corner's channels start
// in the channels-last input (a row of zeros when the corner is outside, so
// that it reads 0 and never a neighbour), the bilinear weights in
// torchvision's corner order, and the mask (1 without one).
template <typename A>
struct DeformCorners {
  const A* corner[4];
  A weight[4];
  A mask;
};

// Columns [k0, k0 + kc) of the rows of one group's GEMM, for `rows` positions.
// Column k is (tap t = k / group_channels, channel first_channel + k %
// group_channels): mask * (w0 * v0 + w1 * v1 + w2 * v2 + w3 * v3), summed
// left to right as torchvision does, no fused multiply-adds, where vk is
// corner k's value of that channel. Position i's taps are corners[i *
// tap_rows + og * taps + t] for the channel's offset group og; its row goes
// to out[i * lda + k - k0].
template <typename A>
struct DeformColumnsArgs {
  const DeformCorners<A>* corners;
  int64_t rows, tap_rows, taps;
  int64_t group_channels, offset_group_channels, first_channel;
  int64_t k0, kc;
  A* out;
  int64_t lda;
};

void DeformColumnsAvx2(const DeformColumnsArgs<float>& a);
void DeformColumnsAvx2(const DeformColumnsArgs<double>& a);
void DeformColumnsAvx512(const DeformColumnsArgs<float>& a);
void DeformColumnsAvx512(const DeformColumnsArgs<double>& a);

}  // namespace ort_roi
