// The per-thread body of RoIPool's CUDA kernel, compiled for the device by
// nvcc and for the host by the CPU build, whose tests run it over the whole
// launch grid (kernels/testing/host_grid_roi_pool.cc) against torchvision.
//
// One thread computes one bin (roi, ph, pw) for a block of channels: the
// bin's pixel range is computed once and read for all of them. Consecutive
// threads take consecutive pw, so their reads of X and their writes of Y lie
// close together. The value is torchvision's: the largest input value of the
// bin, starting from -FLT_MAX, an empty bin 0. Each channel sees the bin's
// pixels row by row, as in torchvision, so even the sign of a zero agrees.
#pragma once

#include <cfloat>
#include <cstdint>

#include "common/half.h"
#include "common/host_device.h"
#include "common/roi_pool_geometry.h"
#include "common/roi_pooling_shape.h"
#include "roi_align/roi_align_cuda_body.h"  // ValidBatchIndex
#include "roi_pool/roi_pool.h"

namespace ort_roi {

constexpr int64_t kRoIPoolCudaChannels = 8;  // channels per thread

ORT_ROI_HD BinGrid RoIPoolCudaGrid(const RoIPoolParams& p, const RoIPoolingShape& s) {
  return BinGrid{s.num_rois, s.channels, kRoIPoolCudaChannels, p.output_height, p.output_width};
}

ORT_ROI_HD int64_t RoIPoolCudaThreads(const RoIPoolParams& p, const RoIPoolingShape& s) {
  return RoIPoolCudaGrid(p, s).threads();
}

// Thread `index` of RoIPoolCudaThreads(p, s). A roi with a non-finite
// coordinate, or a batch index that is not a whole number in [0, N), gives
// zeros (see ValidBatchIndex).
template <typename T>
ORT_ROI_HD void RoIPoolCudaThread(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x,
                                  const T* rois, T* y, int64_t index) {
  using A = typename Acc<T>::type;
  const BinThread t = ThreadAt(RoIPoolCudaGrid(p, s), index);
  const int64_t k = t.k, ph = t.ph, pw = t.pw, c0 = t.c0, count_c = t.count_c;

  const T* r = rois + 5 * k;
  const A roi[4] = {Load<A>(r[1]), Load<A>(r[2]), Load<A>(r[3]), Load<A>(r[4])};
  const int64_t n = ValidBatchIndex(Load<A>(r[0]), s.batch);
  const RoIPoolBox<A> box =
      MakeRoIPoolBox(roi, static_cast<A>(p.spatial_scale), p.output_height, p.output_width);
  int64_t h_begin = 0, h_end = 0, w_begin = 0, w_end = 0;  // empty unless the roi is usable
  if (n >= 0 && box.finite) {
    RoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h_begin, &h_end);
    RoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w_begin, &w_end);
  }
  const bool empty = h_end <= h_begin || w_end <= w_begin;

  A best[kRoIPoolCudaChannels];
  // torchvision starts from -FLT_MAX (for every type) and keeps it when every
  // value is NaN or below it; `>` never takes a NaN.
  for (int64_t c = 0; c < kRoIPoolCudaChannels; ++c) best[c] = empty ? A(0) : A(-FLT_MAX);
  if (!empty) {
    const int64_t plane = s.height * s.width;
    const T* xc = x + (n * s.channels + c0) * plane;
    for (int64_t h = h_begin; h < h_end; ++h) {
      for (int64_t w = w_begin; w < w_end; ++w) {
        const int64_t at = h * s.width + w;
        ForChannels<kRoIPoolCudaChannels>(count_c, [&](int64_t c) {
          const A v = Load<A>(xc[c * plane + at]);
          if (v > best[c]) best[c] = v;
        });
      }
    }
  }
  const int64_t bins = p.output_height * p.output_width;
  T* out = y + (k * s.channels + c0) * bins + ph * p.output_width + pw;
  for (int64_t c = 0; c < count_c; ++c) out[c * bins] = Store<T>(best[c]);
}

}  // namespace ort_roi
