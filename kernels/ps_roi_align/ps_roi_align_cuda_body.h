// The per-thread body of PSRoIAlign's CUDA kernel, compiled for the device by
// nvcc and for the host by the CPU build, whose tests run it over the whole
// launch grid (kernels/testing/host_grid_ps_roi_align.cc) against torchvision.
//
// One thread computes one bin (roi, ph, pw) for a block of output channels.
// Each of them reads its own input channel, (c * oh + ph) * ow + pw, but all
// sample the bin at the same points: the bilinear taps of a sample are
// computed once for the block (AddBinSamples, RoIAlign's sampling). The block
// is smaller than RoIAlign's since position-sensitive maps have few output
// channels (one per class): 4 keeps the thread count up. Consecutive threads
// take consecutive pw, so their writes of Y lie together.
#pragma once

#include <cstdint>

#include "common/bin_threads.h"
#include "common/half.h"
#include "common/host_device.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_pooling_shape.h"
#include "ps_roi_align/ps_roi_align.h"
#include "roi_align/roi_align_cuda_body.h"  // AddBinSamples, ValidBatchIndex

namespace ort_roi {

constexpr int64_t kPSRoIAlignCudaChannels = 4;  // output channels per thread

// Blocks of output channels.
ORT_ROI_HD BinGrid PSRoIAlignCudaGrid(const PSRoIAlignParams& p, const RoIPoolingShape& s) {
  return BinGrid{s.num_rois, PSOutputChannels(s.channels, p.output_height, p.output_width),
                 kPSRoIAlignCudaChannels, p.output_height, p.output_width};
}

ORT_ROI_HD int64_t PSRoIAlignCudaThreads(const PSRoIAlignParams& p, const RoIPoolingShape& s) {
  return PSRoIAlignCudaGrid(p, s).threads();
}

// Thread `index` of PSRoIAlignCudaThreads(p, s). As on the CPU, a bin's sum
// is divided by torchvision's signed grid_h * grid_w, so a box whose adaptive
// grid is 0 gives 0 / 0 = NaN (MakePSRoIAlignBox), and a roi with a
// non-finite coordinate gives zeros. A batch index that is not a whole
// number in [0, N) gives zeros too, NaN-making box or not (ValidBatchIndex).
template <typename T>
ORT_ROI_HD void PSRoIAlignCudaThread(const PSRoIAlignParams& p, const RoIPoolingShape& s,
                                     const T* x, const T* rois, T* y, int64_t index) {
  using A = typename Acc<T>::type;
  const int64_t oh = p.output_height, ow = p.output_width, bins = oh * ow;
  const int64_t out_channels = PSOutputChannels(s.channels, oh, ow);
  const BinThread t = ThreadAt(PSRoIAlignCudaGrid(p, s), index);
  const int64_t k = t.k, ph = t.ph, pw = t.pw, c0 = t.c0, count_c = t.count_c;

  const T* r = rois + 5 * k;
  const A roi[4] = {Load<A>(r[1]), Load<A>(r[2]), Load<A>(r[3]), Load<A>(r[4])};
  const int64_t n = ValidBatchIndex(Load<A>(r[0]), s.batch);
  const RoIAlignBox<A> box =
      MakePSRoIAlignBox(roi, static_cast<A>(p.spatial_scale), oh, ow, p.sampling_ratio);
  const bool sampled = n >= 0 && box.finite;

  A acc[kPSRoIAlignCudaChannels];
  for (int64_t c = 0; c < kPSRoIAlignCudaChannels; ++c) acc[c] = A(0);
  if (sampled) {
    // Output channel c0 + c reads input channel PSInputChannel(c0 + c, ph, pw):
    // consecutive ones are `bins` planes apart.
    const int64_t plane = s.height * s.width;
    const T* xc = x + (n * s.channels + PSInputChannel(c0, ph, pw, oh, ow)) * plane;
    AddBinSamples(box, ph, pw, xc, bins * plane, count_c, s.height, s.width, acc);
  }
  T* out = y + (k * out_channels + c0) * bins + ph * ow + pw;
  for (int64_t c = 0; c < count_c; ++c) {
    out[c * bins] = Store<T>(sampled ? acc[c] / box.count : A(0));
  }
}

}  // namespace ort_roi
