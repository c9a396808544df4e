// What the vector variants of RoIAlign's CPU pooling see (roi_align_pool.cc
// builds it; roi_align_pool_avx2.cc and roi_align_pool_avx512.cc pool it).
// Plain structs only: variant files include nothing else of ours.
//
// A roi's sampling points are computed once per axis (RoiAxisTap); each bin
// then adds its samples in torchvision's order for every channel at once:
//   sum = 0; for each sample (iy, ix): sum += w1*v1 + w2*v2 + w3*v3 + w4*v4
// (left to right, no fused multiply-add), then divides by the count. The
// plain C++ reference and the variants compute each channel in exactly that
// order, so they agree bit for bit, and with torchvision's CPU kernel.
#pragma once

#include <cstdint>

#include "half.h"

namespace ort_roi {

// One valid sample along an axis: the two pixels it reads, as element
// offsets into the map (row * row stride, column * column stride), and
// their weights (torchvision's hy, ly or hx, lx).
template <typename A>
struct RoiAxisTap {
  int64_t low, high;
  A w_low, w_high;
};

// One roi and block of channels. Bin row ph has the samples
// y[y_begin[ph]] .. y[y_begin[ph + 1] - 1] (invalid ones left out:
// torchvision adds zero for them), bin column pw likewise.
template <typename T, typename A>
struct RoiBlock {
  const T* map;           // the roi's image, offset to the block's first channel
  int64_t channel_stride;  // 1 channels-last (what the variants take), H * W for NCHW
  const RoiAxisTap<A>* y;
  const int64_t* y_begin;
  const RoiAxisTap<A>* x;
  const int64_t* x_begin;
  int64_t pooled_h, pooled_w;
  int64_t channels;  // in the block
  A count;           // torchvision's divisor
  T* out;            // [pooled_h * pooled_w, channels]: bin-major
};

#if ORT_ROI_X86_VARIANTS
// Channels-last blocks only (channel_stride 1).
void PoolRoiBlockAvx2(const RoiBlock<float, float>& r);
void PoolRoiBlockAvx2(const RoiBlock<double, double>& r);
void PoolRoiBlockAvx2(const RoiBlock<Half, float>& r);
void PoolRoiBlockAvx512(const RoiBlock<float, float>& r);
void PoolRoiBlockAvx512(const RoiBlock<double, double>& r);
void PoolRoiBlockAvx512(const RoiBlock<Half, float>& r);
#endif

}  // namespace ort_roi
