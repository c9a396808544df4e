// PSRoIPool on the CPU, through channels_last_pool/pool_rois.h. When the rois
// cover enough of the map, the map is copied channels-last as
// [H, W, bins, C_out] once, so that a bin's output channels are contiguous,
// and each bin is a mean over its pixels with the channels innermost
// (channels_last_pool/); otherwise the channel-major loop below reads the
// planes in place. Both give the same bits (see channels_last_pool.h). Work
// is split over (roi, block of output channels).
#include "channels_last_pool/channels_last_pool.h"
#include "channels_last_pool/pool_rois.h"
#include "common/half.h"
#include "common/ps_roi_geometry.h"
#include "ps_roi_pool/ps_roi_pool.h"

namespace ort_roi {

namespace {

template <typename T>
struct PSRoIPoolPooling {
  using A = typename Acc<T>::type;
  using Box = RoIPoolBox<A>;

  const PSRoIPoolParams& p;
  const RoIPoolingShape& s;
  // 64 output channels per task of the channels-last path.
  PoolLayout layout = PositionSensitiveLayout(s, p.output_height, p.output_width, 64);
  PoolBinFn<T> mean_bin = MeanBinKernel<T>();

  Box MakeBox(const A* roi) const {
    return MakePSRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height,
                            p.output_width);
  }

  double Covered(const Box& box) const {
    return PoolBinsArea(box, p.output_height, p.output_width, s, PSRoIPoolBinRange<A>);
  }

  template <typename Fn>
  void ForEachBin(const Box& box, const Fn& fn) const {
    ForEachPoolBin(box, p.output_height, p.output_width, s, PSRoIPoolBinRange<A>, fn);
  }

  void PoolChannelsLast(const Box& box, const T* image, int64_t pixel_stride, int64_t c0,
                        int64_t channels, T* out) const {
    ForEachBin(box, [&](int64_t ph, int64_t pw, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      const int64_t b = ph * p.output_width + pw;
      if (h1 <= h0 || w1 <= w0) {
        for (int64_t c = 0; c < channels; ++c) out[c * layout.bins + b] = Store<T>(A(0));
        return;
      }
      mean_bin(PoolBin<T>{image + (h0 * s.width + w0) * pixel_stride + b * layout.out_channels + c0,
                          h1 - h0, w1 - w0, s.width * pixel_stride, pixel_stride, channels, out + b,
                          layout.bins});
    });
  }

  void PoolChannelMajor(const Box& box, const T* image, int64_t c_begin, int64_t c_end,
                        T* out) const {
    const int64_t plane = s.height * s.width;
    ForEachBin(box, [&](int64_t ph, int64_t pw, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      const int64_t b = ph * p.output_width + pw;
      const bool empty = h1 <= h0 || w1 <= w0;
      const A area = static_cast<A>((h1 - h0) * (w1 - w0));
      for (int64_t c = c_begin; c < c_end; ++c) {
        if (empty) {
          out[(c - c_begin) * layout.bins + b] = Store<T>(A(0));
          continue;
        }
        const T* xc = image + PSInputChannel(c, ph, pw, p.output_height, p.output_width) * plane;
        // Row by row, as torchvision adds, so that float sums round alike.
        A sum = A(0);
        for (int64_t r = h0; r < h1; ++r) {
          for (int64_t q = w0; q < w1; ++q) sum += Load<A>(xc[r * s.width + q]);
        }
        out[(c - c_begin) * layout.bins + b] = Store<T>(sum / area);
      }
    });
  }
};

}  // namespace

template <typename T>
void PSRoIPoolCpu(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for, const HostScratch& scratch) {
  PoolRois(PSRoIPoolPooling<T>{p, s}, s, x, rois, y, parallel_for, scratch);
}

template void PSRoIPoolCpu<float>(const PSRoIPoolParams&, const RoIPoolingShape&,
                                  const float*, const float*, float*, const ParallelFor&,
                                  const HostScratch&);
template void PSRoIPoolCpu<double>(const PSRoIPoolParams&, const RoIPoolingShape&,
                                   const double*, const double*, double*, const ParallelFor&,
                                   const HostScratch&);
template void PSRoIPoolCpu<Half>(const PSRoIPoolParams&, const RoIPoolingShape&,
                                 const Half*, const Half*, Half*, const ParallelFor&,
                                 const HostScratch&);

}  // namespace ort_roi
