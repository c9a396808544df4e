// PSRoIAlign on the CPU. Work is split over (roi, block of output channels);
// each task builds its roi's separable sampling weights once. Every bin of
// every output channel reads a different input channel, but all of them
// sample at the same points, so the weights serve the whole block.
#include <algorithm>

#include "common/axis_weights.h"
#include "common/half.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_tasks.h"
#include "ps_roi_align/ps_roi_align.h"

namespace ort_roi {

template <typename T>
void PSRoIAlignCpu(const PSRoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
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
    const RoIAlignBox<A> box = MakePSRoIAlignBox(roi + 1, static_cast<A>(p.spatial_scale),
                                                 p.output_height, p.output_width, p.sampling_ratio);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    AxisWeights<A> rows, cols;
    BuildAxisWeights(box.start_h, box.bin_h, box.grid_h, p.output_height, s.height, &rows);
    BuildAxisWeights(box.start_w, box.bin_w, box.grid_w, p.output_width, s.width, &cols);

    const T* image = x + static_cast<int64_t>(roi[0]) * s.channels * plane;
    for (int64_t c = c_begin; c < c_end; ++c) {
      for (int64_t ph = 0; ph < p.output_height; ++ph) {
        for (int64_t pw = 0; pw < p.output_width; ++pw) {
          const T* xc =
              image + PSInputChannel(c, ph, pw, p.output_height, p.output_width) * plane;
          // No clamp of the count: 0 / 0 is torchvision's NaN (see MakePSRoIAlignBox).
          *out++ = Store<T>(WeightedBinSum(xc, s.width, rows, cols, ph, pw) / box.count);
        }
      }
    }
  });
}

template void PSRoIAlignCpu<float>(const PSRoIAlignParams&, const RoIPoolingShape&, const float*,
                                   const float*, float*, const ParallelFor&);
template void PSRoIAlignCpu<double>(const PSRoIAlignParams&, const RoIPoolingShape&,
                                    const double*, const double*, double*, const ParallelFor&);
template void PSRoIAlignCpu<Half>(const PSRoIAlignParams&, const RoIPoolingShape&, const Half*,
                                  const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
