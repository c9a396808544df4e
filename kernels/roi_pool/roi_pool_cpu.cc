// RoIPool on the CPU, split over (roi, block of channels). Bin bounds are
// computed once per task and reused for every channel of the block.
#include <algorithm>
#include <cfloat>
#include <vector>

#include "common/half.h"
#include "common/roi_pool_geometry.h"
#include "common/roi_tasks.h"
#include "roi_pool/roi_pool.h"

namespace ort_roi {

namespace {

struct BinRange {
  int64_t begin, end;
};

}  // namespace

template <typename T>
void RoIPoolCpu(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t bins = p.output_height * p.output_width;
  const int64_t plane = s.height * s.width;
  ForEachRoiChannelBlock(s.num_rois, s.channels, parallel_for,
                         [&](int64_t k, int64_t c_begin, int64_t c_end) {
    T* out = y + (k * s.channels + c_begin) * bins;

    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box =
        MakeRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height, p.output_width);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    std::vector<BinRange> hs(p.output_height), ws(p.output_width);
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      RoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &hs[ph].begin, &hs[ph].end);
    }
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      RoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &ws[pw].begin, &ws[pw].end);
    }

    const int64_t batch = static_cast<int64_t>(roi[0]);
    for (int64_t c = c_begin; c < c_end; ++c) {
      const T* xc = x + (batch * s.channels + c) * plane;
      T* oc = out + (c - c_begin) * bins;
      for (int64_t ph = 0; ph < p.output_height; ++ph) {
        for (int64_t pw = 0; pw < p.output_width; ++pw) {
          const BinRange h = hs[ph], w = ws[pw];
          const bool empty = h.end <= h.begin || w.end <= w.begin;
          // torchvision starts from -FLT_MAX (for every type) and keeps it
          // when every value is NaN or below it; `>` never takes a NaN.
          A best = empty ? A(0) : static_cast<A>(-FLT_MAX);
          for (int64_t r = h.begin; r < h.end; ++r) {
            for (int64_t q = w.begin; q < w.end; ++q) {
              const A v = Load<A>(xc[r * s.width + q]);
              if (v > best) best = v;
            }
          }
          oc[ph * p.output_width + pw] = Store<T>(best);
        }
      }
    }
  });
}

template void RoIPoolCpu<float>(const RoIPoolParams&, const RoIPoolingShape&, const float*,
                                const float*, float*, const ParallelFor&);
template void RoIPoolCpu<double>(const RoIPoolParams&, const RoIPoolingShape&, const double*,
                                 const double*, double*, const ParallelFor&);
template void RoIPoolCpu<Half>(const RoIPoolParams&, const RoIPoolingShape&, const Half*,
                               const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
