// The per-thread bodies of DeformConv2d's CUDA kernels, compiled for the
// device by nvcc and for the host by the CPU build, whose tests run them over
// their whole launch grids (kernels/testing/host_grid_deform_conv.cc) against
// torchvision.
//
// As on the CPU, output positions of all images are numbered q = n * Ho * Wo
// + p and handled in chunks, so that the column matrix, scratch memory from
// ORT's allocator, stays bounded. Per chunk, two kernels:
// 1. columns (deformable im2col): columns[(c * kh * kw + tap) * len + q] =
//    mask * bilinear(X[n, c], moved point), one thread per (block of
//    channels of one offset group, kernel tap, position): the thread computes
//    the point's taps once for its channels, and consecutive threads take
//    consecutive positions, so their writes are contiguous;
// 2. GEMM (common/gemm_tiles.h), per group: Y[n, oc, p] = W_g[oc, :] times
//    the group's column rows, plus the bias, one block per 64 x 64 tile of
//    (output channel, position) of one group, summed with fused
//    multiply-adds (the one place this kernel fuses, explicitly).
// float16 samples and multiplies in float: columns are float, weights are
// widened as they are loaded, the sum is rounded once.
#pragma once

#include <cstdint>

#include "common/bin_threads.h"  // ForChannels
#include "common/gemm_tiles.h"
#include "common/half.h"
#include "common/host_device.h"
#include "deform_conv/deform_conv.h"
#include "deform_conv/deform_conv_taps.h"

namespace ort_roi {

constexpr int64_t kDeformCudaChannels = 8;  // channels per columns thread
// Column scratch per chunk. A chunk of this size gives the GEMM hundreds of
// blocks for common layers (Cin = 256, 3 x 3: over 7000 positions).
constexpr int64_t kDeformCudaChunkBytes = int64_t{64} << 20;

// Positions per chunk: what fits `chunk_bytes` of columns, a multiple of the
// GEMM tile unless it is every position. At least one tile of positions.
template <typename A>
ORT_ROI_HD int64_t DeformCudaChunk(const DeformConvShape& s, int64_t chunk_bytes) {
  const int64_t total = s.batch * s.out_height * s.out_width;
  const int64_t rows = s.in_channels * s.kernel_h * s.kernel_w;
  const int64_t per_position = (rows > 0 ? rows : 1) * static_cast<int64_t>(sizeof(A));
  int64_t chunk = chunk_bytes / per_position / kGemmTile * kGemmTile;
  if (chunk < kGemmTile) chunk = kGemmTile;
  return chunk < total ? chunk : total;
}

// Host only: calls fn(q0, len) for each chunk of `chunk` positions, in order.
template <typename Fn>
void ForEachDeformChunk(const DeformConvShape& s, int64_t chunk, Fn&& fn) {
  const int64_t total = s.batch * s.out_height * s.out_width;
  for (int64_t q0 = 0; q0 < total; q0 += chunk) fn(q0, total - q0 < chunk ? total - q0 : chunk);
}

// --- 1. columns ---

ORT_ROI_HD int64_t DeformColumnBlocks(const DeformConvShape& s) {  // per offset group
  const int64_t per_group = s.in_channels / s.offset_group;
  return (per_group + kDeformCudaChannels - 1) / kDeformCudaChannels;
}

ORT_ROI_HD int64_t DeformColumnThreads(const DeformConvShape& s, int64_t len) {
  return s.offset_group * DeformColumnBlocks(s) * s.kernel_h * s.kernel_w * len;
}

// Thread `index` of DeformColumnThreads(s, len) for the chunk of positions
// q0 .. q0 + len: writes its channels' entries of columns ([Cin * kh * kw, len]).
template <typename T, typename A = typename Acc<T>::type>
ORT_ROI_HD void DeformColumnThread(const DeformConvShape& s, const T* x, const T* offset,
                                   const T* mask, int64_t q0, int64_t len, A* columns,
                                   int64_t index) {
  const int64_t taps = s.kernel_h * s.kernel_w;
  const int64_t blocks = DeformColumnBlocks(s);
  const int64_t q = index % len;
  const int64_t tap = index / len % taps;
  const int64_t cb = index / (len * taps) % blocks;
  const int64_t g = index / (len * taps * blocks);
  const int64_t positions = s.out_height * s.out_width;
  const int64_t n = (q0 + q) / positions, p = (q0 + q) % positions;
  const int64_t r = g * taps + tap;
  const DeformTap<A> t = DeformConvTap(s, offset, n, r, p);
  const A m = DeformConvMask(s, mask, n, r, p);
  const int64_t per_group = s.in_channels / s.offset_group;
  const int64_t c_begin = g * per_group + cb * kDeformCudaChannels;
  const int64_t c_end = c_begin + kDeformCudaChannels < (g + 1) * per_group
                            ? c_begin + kDeformCudaChannels
                            : (g + 1) * per_group;
  const int64_t plane = s.height * s.width;
  ForChannels<kDeformCudaChannels>(c_end - c_begin, [&](int64_t i) {
    const int64_t c = c_begin + i;
    const T* channel = x + (n * s.in_channels + c) * plane;
    columns[(c * taps + tap) * len + q] = m * SampleDeformTap(t, channel);
  });
}

// --- 2. GEMM ---

// Blocks of the GEMM launch of one chunk: groups x row tiles x column tiles.
ORT_ROI_HD int64_t DeformGemmBlocks(const DeformConvShape& s, int64_t len) {
  const int64_t rows = (s.out_channels / s.group + kGemmTile - 1) / kGemmTile;
  const int64_t cols = (len + kGemmTile - 1) / kGemmTile;
  return s.group * rows * cols;
}

// What block `b` multiplies: group g's weights [Cout / group, K] times its
// column rows [K, len], K = Cin / group * kh * kw; its tile starts at (m0, n0).
template <typename T, typename A = typename Acc<T>::type>
struct DeformGemmBlock {
  GemmOperandsDevice<T, A> op;
  int64_t g, m0, n0;
};

template <typename T, typename A = typename Acc<T>::type>
ORT_ROI_HD DeformGemmBlock<T, A> MakeDeformGemmBlock(const DeformConvShape& s, const T* w,
                                                     const A* columns, int64_t len, int64_t b) {
  const int64_t out_per_group = s.out_channels / s.group;
  const int64_t k = s.in_channels / s.group * s.kernel_h * s.kernel_w;
  const int64_t rows = (out_per_group + kGemmTile - 1) / kGemmTile;
  const int64_t cols = (len + kGemmTile - 1) / kGemmTile;
  DeformGemmBlock<T, A> d;
  d.n0 = b % cols * kGemmTile;
  d.m0 = b / cols % rows * kGemmTile;
  d.g = b / (cols * rows);
  d.op = GemmOperandsDevice<T, A>{out_per_group, len, k, w + d.g * out_per_group * k, k,
                                  columns + d.g * k * len, len};
  return d;
}

// Thread t of block d writes its outputs: Y[n, oc, p] = acc + bias[oc] for
// output channel oc = g * Cout / group + row and position q0 + col.
template <typename T, typename A = typename Acc<T>::type>
ORT_ROI_HD void DeformGemmStore(const DeformConvShape& s, const DeformGemmBlock<T, A>& d,
                                const T* bias, int64_t q0, int t,
                                const A (&acc)[kGemmPerThread][kGemmPerThread], T* y) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t out_per_group = s.out_channels / s.group;
  for (int i = 0; i < kGemmPerThread; ++i) {
    const int64_t row = d.m0 + GemmOutputRow(t, i);
    if (row >= d.op.m) continue;
    const int64_t oc = d.g * out_per_group + row;
    // torchvision adds the bias after the product (no bias: adds zero).
    const A b = bias != nullptr ? Load<A>(bias[oc]) : A(0);
    for (int j = 0; j < kGemmPerThread; ++j) {
      const int64_t col = d.n0 + GemmOutputCol(t, j);
      if (col >= d.op.n) continue;
      const int64_t n = (q0 + col) / positions, p = (q0 + col) % positions;
      y[(n * s.out_channels + oc) * positions + p] = Store<T>(acc[i][j] + b);
    }
  }
}

}  // namespace ort_roi
