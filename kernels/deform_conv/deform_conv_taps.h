// Where deformable convolution samples, shared by the CPU kernel and the
// CUDA thread bodies: the point of one kernel tap at one output position,
// moved by its learned offset, and its mask.
#pragma once

#include <cstdint>

#include "common/deform_bilinear.h"
#include "common/half.h"
#include "common/host_device.h"
#include "deform_conv/deform_conv.h"

namespace ort_roi {

// The taps of tap row r = g * kh * kw + i * kw + j (offset group g, kernel
// tap (i, j)) at output position p of image n, relative to the [H, W] plane
// of one channel.
template <typename T, typename A = typename Acc<T>::type>
ORT_ROI_HD DeformTap<A> DeformConvTap(const DeformConvShape& s, const T* offset, int64_t n,
                                      int64_t r, int64_t p) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t tap_rows = s.offset_group * s.kernel_h * s.kernel_w;
  const int64_t tap = r % (s.kernel_h * s.kernel_w);
  const int64_t i = tap / s.kernel_w, j = tap % s.kernel_w;
  const int64_t ho = p / s.out_width, wo = p % s.out_width;
  const T* off = offset + (n * 2 * tap_rows + 2 * r) * positions + p;
  // torchvision adds the offset to the integer grid position in T.
  const A y = static_cast<A>(ho * s.stride_h - s.pad_top + i * s.dilation_h) + Load<A>(off[0]);
  const A x =
      static_cast<A>(wo * s.stride_w - s.pad_left + j * s.dilation_w) + Load<A>(off[positions]);
  return MakeDeformTap(y, x, s.height, s.width);
}

// The mask of that tap, or 1 without a mask (DCNv1).
template <typename T, typename A = typename Acc<T>::type>
ORT_ROI_HD A DeformConvMask(const DeformConvShape& s, const T* mask, int64_t n, int64_t r,
                            int64_t p) {
  if (mask == nullptr) return A(1);
  const int64_t positions = s.out_height * s.out_width;
  const int64_t tap_rows = s.offset_group * s.kernel_h * s.kernel_w;
  return Load<A>(mask[(n * tap_rows + r) * positions + p]);
}

}  // namespace ort_roi
