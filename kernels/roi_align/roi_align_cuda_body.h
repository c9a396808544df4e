// The per-thread body of RoIAlign's CUDA kernel, compiled for the device by
// nvcc and for the host by the CPU build, whose tests run it over the whole
// launch grid (kernels/testing/host_grid.cc) against torchvision.
//
// One thread computes one bin (roi, ph, pw) for a block of channels: the
// bilinear taps of each sample are computed once and used for all of them.
// RoIAlign's block is 4 channels, MultiScaleRoIAlign's 8: of 1, 2, 4 and 8,
// the fastest for each on an H100 (README, "CUDA").
// Consecutive threads take consecutive pw, so their reads of X and their
// writes of Y lie close together. Arithmetic is torchvision's CUDA kernel's:
// per sample w1*v1 + w2*v2 + w3*v3 + w4*v4, summed in sample order, divided
// by the count.
#pragma once

#include <cstdint>

#include "common/bilinear.h"
#include "common/bin_threads.h"
#include "common/half.h"
#include "common/host_device.h"
#include "common/roi_align_geometry.h"
#include "common/roi_pooling_shape.h"
#include "roi_align/roi_align.h"

namespace ort_roi {

constexpr int64_t kRoIAlignCudaChannels = 4;  // channels per thread

ORT_ROI_HD BinGrid RoIAlignCudaGrid(const RoIAlignParams& p, const RoIPoolingShape& s) {
  return BinGrid{s.num_rois, s.channels, kRoIAlignCudaChannels, p.output_height, p.output_width};
}

ORT_ROI_HD int64_t RoIAlignCudaThreads(const RoIAlignParams& p, const RoIPoolingShape& s) {
  return RoIAlignCudaGrid(p, s).threads();
}

// The roi's batch index when it is a whole number in [0, batch), else -1.
// On CUDA an invalid index gives that roi zeros: refusing it would cost a
// device-to-host copy and a sync on every call.
template <typename A>
ORT_ROI_HD int64_t ValidBatchIndex(A b, int64_t batch) {
  if (!(b >= A(0) && b < static_cast<A>(batch))) return -1;  // NaN too
  const int64_t n = static_cast<int64_t>(b);
  return static_cast<A>(n) == b ? n : -1;
}

// Adds the bilinear samples of bin (ph, pw) of `box` to acc[c] for the
// `count_c` planes x + c * channel_stride, each `height` x `width`. The taps
// of a sample are computed once and used for every plane. Order is
// torchvision's CUDA kernels': per sample w1*v1 + w2*v2 + w3*v3 + w4*v4,
// samples row by row. A sample outside the map adds torchvision's 0, which
// cannot change a sum that starts at +0, so it is skipped. Shared by
// RoIAlign (and MultiScaleRoIAlign through RoIAlignBin) and PSRoIAlign.
// The channel loop stays a plain loop: unrolled through ForChannels, as the
// pooling kernels are, RoIAlign's bench_cuda.py workload ran about 20%
// slower on an H100 (0.70-0.75 ms against 0.60, with 8 channels a thread).
template <typename T, typename A>
ORT_ROI_HD void AddBinSamples(const RoIAlignBox<A>& box, int64_t ph, int64_t pw, const T* x,
                              int64_t channel_stride, int64_t count_c, int64_t height,
                              int64_t width, A* acc) {
  for (int64_t iy = 0; iy < box.grid_h; ++iy) {
    const AxisTap<A> ty = BilinearAxisTap(
        SampleCoord(box.start_h, box.bin_h, ph, iy, box.grid_h), static_cast<int>(height));
    if (!ty.valid) continue;  // the whole row of samples is outside
    for (int64_t ix = 0; ix < box.grid_w; ++ix) {
      const AxisTap<A> tx = BilinearAxisTap(
          SampleCoord(box.start_w, box.bin_w, pw, ix, box.grid_w), static_cast<int>(width));
      if (!tx.valid) continue;
      const A w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
      const A w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
      const int64_t o1 = ty.low * width + tx.low, o2 = ty.low * width + tx.high;
      const int64_t o3 = ty.high * width + tx.low, o4 = ty.high * width + tx.high;
      for (int64_t c = 0; c < count_c; ++c) {
        const T* m = x + c * channel_stride;
        acc[c] += w1 * Load<A>(m[o1]) + w2 * Load<A>(m[o2]) + w3 * Load<A>(m[o3]) +
                  w4 * Load<A>(m[o4]);
      }
    }
  }
}

// Bin `pw, ph` of roi `k` for channels [c0, c0 + kChannels) of one level's
// map x [N, C, H, W]; writes y at `out` + c * out_channel_stride. Shared
// with MultiScaleRoIAlign, which picks the level and scale first.
template <int64_t kChannels, typename T, typename A>
ORT_ROI_HD void RoIAlignBin(const A* roi, int64_t n, A spatial_scale, bool aligned,
                            int64_t sampling_ratio, int64_t pooled_h, int64_t pooled_w,
                            int64_t ph, int64_t pw, const T* x, int64_t channels, int64_t height,
                            int64_t width, int64_t c0, T* out, int64_t out_channel_stride) {
  A acc[kChannels];
  for (int64_t c = 0; c < kChannels; ++c) acc[c] = A(0);
  const int64_t count_c = channels - c0 < kChannels ? channels - c0 : kChannels;
  const RoIAlignBox<A> box =
      MakeRoIAlignBox(roi, spatial_scale, aligned, pooled_h, pooled_w, sampling_ratio);
  if (n >= 0 && box.finite) {
    const int64_t plane = height * width;
    AddBinSamples(box, ph, pw, x + (n * channels + c0) * plane, plane, count_c, height, width,
                  acc);
  }
  for (int64_t c = 0; c < count_c; ++c) out[c * out_channel_stride] = Store<T>(acc[c] / box.count);
}

// Thread `index` of RoIAlignCudaThreads(p, s).
template <typename T>
ORT_ROI_HD void RoIAlignCudaThread(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x,
                                   const T* rois, T* y, int64_t index) {
  using A = typename Acc<T>::type;
  const BinThread t = ThreadAt(RoIAlignCudaGrid(p, s), index);
  const T* r = rois + 5 * t.k;
  const A roi[4] = {Load<A>(r[1]), Load<A>(r[2]), Load<A>(r[3]), Load<A>(r[4])};
  const int64_t bins = p.output_height * p.output_width;
  RoIAlignBin<kRoIAlignCudaChannels>(
      roi, ValidBatchIndex(Load<A>(r[0]), s.batch), static_cast<A>(p.spatial_scale),
      p.aligned != 0, p.sampling_ratio, p.output_height, p.output_width, t.ph, t.pw, x, s.channels,
      s.height, s.width, t.c0, y + (t.k * s.channels + t.c0) * bins + t.ph * p.output_width + t.pw,
      bins);
}

}  // namespace ort_roi
