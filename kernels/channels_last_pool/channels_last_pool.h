// Channels-last pooling for RoIPool, PSRoIPool and PSRoIAlign on the CPU.
//
// The channel-major kernels read one channel plane at a time, a few pixels
// per bin, so their time goes to strided loads. When the rois cover enough of
// the map, the kernels instead copy the map once per call into a
// channels-last layout and pool each bin with the channels innermost, as
// vectors (kernels/common/cpu_isa.h picks AVX-512, AVX2 or the plain C++
// below). Per channel, the vector code does the same operations in the same
// order as the channel-major kernels, so every level gives the same bits:
// RoIPool's `v > best` visits pixels row by row (a vector max keeps the
// second operand on ties and NaN, which is that same test), PSRoIPool sums row
// by row, PSRoIAlign sums each row's weighted columns, then the weighted rows,
// without fused multiply-adds.
//
// The position-sensitive ops read input channel (c * bins + b) for output
// channel c at bin b, so their copy is [H, W, bins, C_out]: a bin's channels
// are contiguous. RoIPool's is [H, W, C] (bins = 1).
//
// The structs below are plain data, shared with the variant files
// (channels_last_pool_avx2.cc, _avx512.cc), which may use nothing else of ours.
#pragma once

#include <cstdint>

#include "common/half.h"

namespace ort_roi {

// Channels of one PoolBin at most: the vector kernels keep a block's running
// maxima in a buffer of this size on the stack.
constexpr int64_t kPoolBinMaxChannels = 512;

// One bin of RoIPool (max) or PSRoIPool (mean) over a block of channels of a
// channels-last map. The bin has rows * cols pixels, both > 0, and at most
// kPoolBinMaxChannels channels.
template <typename T>
struct PoolBin {
  const T* first;        // the bin's top-left pixel, first channel of the block
  int64_t rows, cols;
  int64_t row_stride;    // elements from one row of the map to the next
  int64_t pixel_stride;  // elements from one pixel to the next
  int64_t channels;      // contiguous channels in the block
  T* out;                // channel c of the block goes to out[c * out_stride]
  int64_t out_stride;
};

// One bin of PSRoIAlign: sum_r row_weight[r] * sum_q col_weight[q] * X[r, q],
// divided by `count` (common/axis_weights.h builds the lists).
template <typename T>
struct WeightedBin {
  using A = typename Acc<T>::type;
  const T* map;  // pixel (0, 0), first channel of the block
  const int64_t* row_index;
  const A* row_weight;
  int64_t rows;  // entries in the row lists, may be 0
  const int64_t* col_index;
  const A* col_weight;
  int64_t cols;
  int64_t row_stride, pixel_stride, channels;
  A count;
  T* out;
  int64_t out_stride;
};

// Part of the channels-last copy: `pixels` pixels of 8 channels, channel j
// read from planes[j], written 8 contiguous values per pixel.
template <typename T>
struct CopyTile {
  const T* const* planes;  // 8 channel planes, already at the first pixel
  int64_t pixels;
  T* dst;                  // the first pixel's 8 destination values
  int64_t dst_stride;      // elements from one pixel to the next in dst
};

template <typename T>
using PoolBinFn = void (*)(const PoolBin<T>&);
template <typename T>
using WeightedBinFn = void (*)(const WeightedBin<T>&);

// The kernels of the level ActiveIsa() names. Max starts from -FLT_MAX, as
// torchvision's RoIPool does; mean divides by rows * cols.
// The 8-channel copy of this level, or null where the plain loop serves
// (double, and the plain level). 8 x 8 transposes in AVX2 registers, also
// used at the AVX-512 level.
template <typename T>
void (*CopyTileKernel())(const CopyTile<T>&);
template <typename T>
PoolBinFn<T> MaxBinKernel();
template <typename T>
PoolBinFn<T> MeanBinKernel();
template <typename T>
WeightedBinFn<T> WeightedBinKernel();

// The vector variants (defined only where CMakeLists.txt builds them).
void CopyTileAvx2(const CopyTile<float>&);
void CopyTileAvx2(const CopyTile<Half>&);
void MaxBinAvx2(const PoolBin<float>&);
void MaxBinAvx2(const PoolBin<double>&);
void MaxBinAvx2(const PoolBin<Half>&);
void MeanBinAvx2(const PoolBin<float>&);
void MeanBinAvx2(const PoolBin<double>&);
void MeanBinAvx2(const PoolBin<Half>&);
void WeightedBinAvx2(const WeightedBin<float>&);
void WeightedBinAvx2(const WeightedBin<double>&);
void WeightedBinAvx2(const WeightedBin<Half>&);
void MaxBinAvx512(const PoolBin<float>&);
void MaxBinAvx512(const PoolBin<double>&);
void MaxBinAvx512(const PoolBin<Half>&);
void MeanBinAvx512(const PoolBin<float>&);
void MeanBinAvx512(const PoolBin<double>&);
void MeanBinAvx512(const PoolBin<Half>&);
void WeightedBinAvx512(const WeightedBin<float>&);
void WeightedBinAvx512(const WeightedBin<double>&);
void WeightedBinAvx512(const WeightedBin<Half>&);

}  // namespace ort_roi
