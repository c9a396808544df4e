// PSRoIAlign on the CPU, through channels_last_pool/pool_rois.h: work is
// split over (roi, block of output channels); each task builds its roi's
// separable sampling weights once. Every bin of every output channel reads a
// different input channel, but all of them sample at the same points, so the
// weights serve the whole block.
//
// When the rois cover enough of the map, the map is first copied
// channels-last as [H, W, bins, C_out], so that a bin's output channels are
// contiguous and its weighted sum runs with the channels innermost
// (channels_last_pool/); otherwise the channel-major loop reads the planes in
// place. Both give the same bits (see channels_last_pool.h).
#include <algorithm>
#include <cmath>

#include "channels_last_pool/channels_last_pool.h"
#include "channels_last_pool/pool_rois.h"
#include "common/axis_weights.h"
#include "common/half.h"
#include "common/ps_roi_geometry.h"
#include "ps_roi_align/ps_roi_align.h"

namespace ort_roi {

namespace {

// The sampling weights of the roi a task works on. Kept per thread, so their
// storage grows to the largest roi once and is not allocated again per roi.
template <typename A>
struct RoiWeights {
  AxisWeights<A> rows, cols;
};

template <typename A>
RoiWeights<A>& ThreadWeights() {
  thread_local RoiWeights<A> w;
  return w;
}

template <typename T>
struct PSRoIAlignPooling {
  using A = typename Acc<T>::type;
  using Box = RoIAlignBox<A>;

  const PSRoIAlignParams& p;
  const RoIPoolingShape& s;
  // 64 output channels per task of the channels-last path.
  PoolLayout layout = PositionSensitiveLayout(s, p.output_height, p.output_width, 64);
  WeightedBinFn<T> weighted_bin = WeightedBinKernel<T>();

  Box MakeBox(const A* roi) const {
    return MakePSRoIAlignBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height,
                             p.output_width, p.sampling_ratio);
  }

  // Pixels the roi's samples can touch (clipped), roughly: whether the
  // channels-last copy pays needs no more.
  double Covered(const Box& box) const {
    auto extent = [](A start, A size, int64_t n) {
      const double lo = std::max(0.0, std::floor(static_cast<double>(start)));
      const double hi = std::min(static_cast<double>(n), static_cast<double>(start + size) + 1);
      return std::max(0.0, hi - lo);
    };
    return extent(box.start_h, box.bin_h * static_cast<A>(p.output_height), s.height) *
           extent(box.start_w, box.bin_w * static_cast<A>(p.output_width), s.width);
  }

  // The box's weights, in this thread's storage.
  const RoiWeights<A>& Weights(const Box& box) const {
    RoiWeights<A>& w = ThreadWeights<A>();
    BuildAxisWeights(box.start_h, box.bin_h, box.grid_h, p.output_height, s.height, &w.rows);
    BuildAxisWeights(box.start_w, box.bin_w, box.grid_w, p.output_width, s.width, &w.cols);
    return w;
  }

  void PoolChannelsLast(const Box& box, const T* image, int64_t pixel_stride, int64_t c0,
                        int64_t channels, T* out) const {
    const RoiWeights<A>& w = Weights(box);
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      const size_t r0 = w.rows.offset[ph], r1 = w.rows.offset[ph + 1];
      for (int64_t pw = 0; pw < p.output_width; ++pw) {
        const size_t q0 = w.cols.offset[pw], q1 = w.cols.offset[pw + 1];
        const int64_t b = ph * p.output_width + pw;
        // No clamp of the count: 0 / 0 is torchvision's NaN (see MakePSRoIAlignBox).
        weighted_bin(WeightedBin<T>{
            image + b * layout.out_channels + c0, w.rows.index.data() + r0,
            w.rows.weight.data() + r0, static_cast<int64_t>(r1 - r0), w.cols.index.data() + q0,
            w.cols.weight.data() + q0, static_cast<int64_t>(q1 - q0), s.width * pixel_stride,
            pixel_stride, channels, box.count, out + b, layout.bins});
      }
    }
  }

  void PoolChannelMajor(const Box& box, const T* image, int64_t c_begin, int64_t c_end,
                        T* out) const {
    const RoiWeights<A>& w = Weights(box);
    const int64_t plane = s.height * s.width;
    for (int64_t c = c_begin; c < c_end; ++c) {
      for (int64_t ph = 0; ph < p.output_height; ++ph) {
        for (int64_t pw = 0; pw < p.output_width; ++pw) {
          const T* xc =
              image + PSInputChannel(c, ph, pw, p.output_height, p.output_width) * plane;
          // No clamp of the count: 0 / 0 is torchvision's NaN (see MakePSRoIAlignBox).
          *out++ = Store<T>(WeightedBinSum(xc, s.width, w.rows, w.cols, ph, pw) / box.count);
        }
      }
    }
  }
};

}  // namespace

template <typename T>
void PSRoIAlignCpu(const PSRoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                   T* y, const ParallelFor& parallel_for, const HostScratch& scratch) {
  PoolRois(PSRoIAlignPooling<T>{p, s}, s, x, rois, y, parallel_for, scratch);
}

template void PSRoIAlignCpu<float>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                   const float*, const float*, float*, const ParallelFor&,
                                   const HostScratch&);
template void PSRoIAlignCpu<double>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                    const double*, const double*, double*, const ParallelFor&,
                                    const HostScratch&);
template void PSRoIAlignCpu<Half>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                  const Half*, const Half*, Half*, const ParallelFor&,
                                  const HostScratch&);

}  // namespace ort_roi
