// The per-thread body of PSRoIPool's CUDA kernel, compiled for the device by
// nvcc and for the host by the CPU build, whose tests run it over the whole
// launch grid (kernels/testing/host_grid_ps_roi_pool.cc) against torchvision.
//
// One thread computes one bin (roi, ph, pw) for a block of output channels,
// each of which averages its own input channel, (c * oh + ph) * ow + pw, over
// the same pixel range: the range is computed once for the block. The block
// is small (4), as PSRoIAlign's, since these maps have few output channels.
// Consecutive threads take consecutive pw, so their writes of Y lie
// together. Each channel adds the bin's pixels row by row and divides by the
// pixel count, as torchvision does, so float and double results are its own.
#pragma once

#include <cstdint>

#include "common/bin_threads.h"
#include "common/half.h"
#include "common/host_device.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_pooling_shape.h"
#include "ps_roi_pool/ps_roi_pool.h"
#include "roi_align/roi_align_cuda_body.h"  // ValidBatchIndex

namespace ort_roi {

constexpr int64_t kPSRoIPoolCudaChannels = 4;  // output channels per thread

// Blocks of output channels.
ORT_ROI_HD BinGrid PSRoIPoolCudaGrid(const PSRoIPoolParams& p, const RoIPoolingShape& s) {
  return BinGrid{s.num_rois, PSOutputChannels(s.channels, p.output_height, p.output_width),
                 kPSRoIPoolCudaChannels, p.output_height, p.output_width};
}

ORT_ROI_HD int64_t PSRoIPoolCudaThreads(const PSRoIPoolParams& p, const RoIPoolingShape& s) {
  return PSRoIPoolCudaGrid(p, s).threads();
}

// Thread `index` of PSRoIPoolCudaThreads(p, s). An empty bin, a roi with a
// non-finite coordinate and a roi whose batch index is not a whole number in
// [0, N) (see ValidBatchIndex) give zeros.
template <typename T>
ORT_ROI_HD void PSRoIPoolCudaThread(const PSRoIPoolParams& p, const RoIPoolingShape& s,
                                    const T* x, const T* rois, T* y, int64_t index) {
  using A = typename Acc<T>::type;
  const int64_t oh = p.output_height, ow = p.output_width, bins = oh * ow;
  const int64_t out_channels = PSOutputChannels(s.channels, oh, ow);
  const BinThread t = ThreadAt(PSRoIPoolCudaGrid(p, s), index);
  const int64_t k = t.k, ph = t.ph, pw = t.pw, c0 = t.c0, count_c = t.count_c;

  const T* r = rois + 5 * k;
  const A roi[4] = {Load<A>(r[1]), Load<A>(r[2]), Load<A>(r[3]), Load<A>(r[4])};
  const int64_t n = ValidBatchIndex(Load<A>(r[0]), s.batch);
  const RoIPoolBox<A> box = MakePSRoIPoolBox(roi, static_cast<A>(p.spatial_scale), oh, ow);
  int64_t h_begin = 0, h_end = 0, w_begin = 0, w_end = 0;  // empty unless the roi is usable
  if (n >= 0 && box.finite) {
    PSRoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h_begin, &h_end);
    PSRoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w_begin, &w_end);
  }
  const bool empty = h_end <= h_begin || w_end <= w_begin;

  A sum[kPSRoIPoolCudaChannels];
  for (int64_t c = 0; c < kPSRoIPoolCudaChannels; ++c) sum[c] = A(0);
  const int64_t plane = s.height * s.width;
  if (!empty) {
    // Output channel c0 + c reads input channel PSInputChannel(c0 + c, ph, pw):
    // consecutive ones are `bins` planes apart.
    const T* xc = x + (n * s.channels + PSInputChannel(c0, ph, pw, oh, ow)) * plane;
    for (int64_t h = h_begin; h < h_end; ++h) {
      for (int64_t w = w_begin; w < w_end; ++w) {
        const int64_t at = h * s.width + w;
        ForChannels<kPSRoIPoolCudaChannels>(
            count_c, [&](int64_t c) { sum[c] += Load<A>(xc[c * bins * plane + at]); });
      }
    }
  }
  const A area = static_cast<A>((h_end - h_begin) * (w_end - w_begin));
  T* out = y + (k * out_channels + c0) * bins + ph * ow + pw;
  for (int64_t c = 0; c < count_c; ++c) out[c * bins] = Store<T>(empty ? A(0) : sum[c] / area);
}

}  // namespace ort_roi
