// PSRoIPool on the CPU, split over (roi, block of output channels). Bin
// bounds are computed once per task and reused for every channel of the
// block; each bin averages its own input channel.
#include <algorithm>
#include <vector>

#include "common/half.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_tasks.h"
#include "ps_roi_pool/ps_roi_pool.h"

namespace ort_roi {

namespace {

struct BinRange {
  int64_t begin, end;
};

}  // namespace

template <typename T>
void PSRoIPoolCpu(const PSRoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
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
    const RoIPoolBox<A> box =
        MakePSRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height, p.output_width);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    std::vector<BinRange> hs(p.output_height), ws(p.output_width);
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      PSRoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &hs[ph].begin, &hs[ph].end);
    }
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      PSRoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &ws[pw].begin, &ws[pw].end);
    }

    const T* image = x + static_cast<int64_t>(roi[0]) * s.channels * plane;
    for (int64_t c = c_begin; c < c_end; ++c) {
      for (int64_t ph = 0; ph < p.output_height; ++ph) {
        for (int64_t pw = 0; pw < p.output_width; ++pw) {
          const BinRange h = hs[ph], w = ws[pw];
          if (h.end <= h.begin || w.end <= w.begin) {
            *out++ = Store<T>(A(0));
            continue;
          }
          const T* xc =
              image + PSInputChannel(c, ph, pw, p.output_height, p.output_width) * plane;
          // Row by row, as torchvision adds, so that float sums round alike.
          A sum = A(0);
          for (int64_t r = h.begin; r < h.end; ++r) {
            for (int64_t q = w.begin; q < w.end; ++q) sum += Load<A>(xc[r * s.width + q]);
          }
          const A area = static_cast<A>((h.end - h.begin) * (w.end - w.begin));
          *out++ = Store<T>(sum / area);
        }
      }
    }
  });
}

template void PSRoIPoolCpu<float>(const PSRoIPoolParams&, const RoIPoolingShape&, const float*,
                                  const float*, float*, const ParallelFor&);
template void PSRoIPoolCpu<double>(const PSRoIPoolParams&, const RoIPoolingShape&, const double*,
                                   const double*, double*, const ParallelFor&);
template void PSRoIPoolCpu<Half>(const PSRoIPoolParams&, const RoIPoolingShape&, const Half*,
                                 const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
