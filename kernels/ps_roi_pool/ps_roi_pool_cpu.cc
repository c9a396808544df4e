// PSRoIPool on the CPU. When the rois cover enough of the map, the map is
// copied channels-last as [H, W, bins, C_out] once, so that a bin's output
// channels are contiguous, and each bin is a mean over its pixels with the
// channels innermost (channels_last_pool/); otherwise the channel-major loop
// below reads the planes in place. Both give the same bits (see
// channels_last_pool.h). Work is split over (roi, block of output channels).
#include <algorithm>

#include "channels_last_pool/channels_last_map.h"
#include "channels_last_pool/channels_last_pool.h"
#include "common/half.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_tasks.h"
#include "ps_roi_pool/ps_roi_pool.h"

namespace ort_roi {

namespace {

// Output channels per task of the channels-last path.
constexpr int64_t kChannelsLastBlock = 64;

template <typename A>
RoIPoolBox<A> LoadBox(const PSRoIPoolParams& p, const A* roi) {
  return MakePSRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height,
                          p.output_width);
}

// Pixels of the map under the roi's bins, clipped: what pooling it reads.
template <typename T>
double CoveredPixels(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* rois) {
  using A = typename Acc<T>::type;
  double covered = 0;
  for (int64_t k = 0; k < s.num_rois; ++k) {
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) continue;
    int64_t h0, h1, w0, w1, unused;
    PSRoIPoolBinRange(box.start_h, box.bin_h, 0, s.height, &h0, &unused);
    PSRoIPoolBinRange(box.start_h, box.bin_h, p.output_height - 1, s.height, &unused, &h1);
    PSRoIPoolBinRange(box.start_w, box.bin_w, 0, s.width, &w0, &unused);
    PSRoIPoolBinRange(box.start_w, box.bin_w, p.output_width - 1, s.width, &unused, &w1);
    covered += static_cast<double>(std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0));
  }
  return covered;
}

template <typename T>
void ChannelsLast(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t bins = p.output_height * p.output_width;
  const int64_t out_channels = PSOutputChannels(s.channels, p.output_height, p.output_width);
  const std::unique_ptr<T[]> map = ToChannelsLast(x, s, bins, parallel_for);
  const PoolBinFn<T> mean_bin = MeanBinKernel<T>();
  const std::vector<int64_t> order = RoiOrder(rois, s.num_rois);
  const int64_t blocks = (out_channels + kChannelsLastBlock - 1) / kChannelsLastBlock;
  parallel_for(static_cast<size_t>(s.num_rois * blocks), [&](size_t t) {
    const int64_t k = order[static_cast<int64_t>(t) / blocks];
    const int64_t c0 = (static_cast<int64_t>(t) % blocks) * kChannelsLastBlock;
    const int64_t block = std::min(kChannelsLastBlock, out_channels - c0);
    T* out = y + (k * out_channels + c0) * bins;
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) {
      std::fill(out, out + block * bins, Store<T>(A(0)));
      return;
    }
    const T* image = map.get() + static_cast<int64_t>(roi[0]) * s.height * s.width * s.channels;
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      int64_t h0, h1;
      PSRoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
      for (int64_t pw = 0; pw < p.output_width; ++pw) {
        int64_t w0, w1;
        PSRoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
        const int64_t b = ph * p.output_width + pw;
        if (h1 <= h0 || w1 <= w0) {
          for (int64_t c = 0; c < block; ++c) out[c * bins + b] = Store<T>(A(0));
          continue;
        }
        mean_bin(PoolBin<T>{image + (h0 * s.width + w0) * s.channels + b * out_channels + c0,
                            h1 - h0, w1 - w0, s.width * s.channels, s.channels, block, out + b,
                            bins});
      }
    }
  });
}

template <typename T>
void ChannelMajor(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t bins = p.output_height * p.output_width;  // <= channels, checked
  const int64_t out_channels = PSOutputChannels(s.channels, p.output_height, p.output_width);
  const int64_t plane = s.height * s.width;
  ForEachRoiChannelBlock(s.num_rois, out_channels, parallel_for,
                         [&](int64_t k, int64_t c_begin, int64_t c_end) {
    T* out = y + (k * out_channels + c_begin) * bins;
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    const T* image = x + static_cast<int64_t>(roi[0]) * s.channels * plane;
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      int64_t h0, h1;
      PSRoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
      for (int64_t pw = 0; pw < p.output_width; ++pw) {
        int64_t w0, w1;
        PSRoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
        const int64_t b = ph * p.output_width + pw;
        const bool empty = h1 <= h0 || w1 <= w0;
        const A area = static_cast<A>((h1 - h0) * (w1 - w0));
        for (int64_t c = c_begin; c < c_end; ++c) {
          if (empty) {
            out[(c - c_begin) * bins + b] = Store<T>(A(0));
            continue;
          }
          const T* xc = image + PSInputChannel(c, ph, pw, p.output_height, p.output_width) * plane;
          // Row by row, as torchvision adds, so that float sums round alike.
          A sum = A(0);
          for (int64_t r = h0; r < h1; ++r) {
            for (int64_t q = w0; q < w1; ++q) sum += Load<A>(xc[r * s.width + q]);
          }
          out[(c - c_begin) * bins + b] = Store<T>(sum / area);
        }
      }
    }
  });
}

}  // namespace

template <typename T>
void PSRoIPoolCpu(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for) {
  if (s.num_rois == 0 || s.channels == 0) return;
  if (WorthChannelsLast(CoveredPixels(p, s, rois), s)) {
    ChannelsLast(p, s, x, rois, y, parallel_for);
  } else {
    ChannelMajor(p, s, x, rois, y, parallel_for);
  }
}

template void PSRoIPoolCpu<float>(const PSRoIPoolParams&, const RoIPoolingShape&, const float*,
                                  const float*, float*, const ParallelFor&);
template void PSRoIPoolCpu<double>(const PSRoIPoolParams&, const RoIPoolingShape&, const double*,
                                   const double*, double*, const ParallelFor&);
template void PSRoIPoolCpu<Half>(const PSRoIPoolParams&, const RoIPoolingShape&, const Half*,
                                 const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
