// RoIAlign on the CPU. Work is split over (roi, block of channels); each task
// builds its roi's separable sampling weights once and applies them to every
// channel of its block.
#include <algorithm>

#include "common/axis_weights.h"
#include "common/half.h"
#include "common/roi_align_geometry.h"
#include "roi_align/roi_align.h"

namespace ort_roi {

namespace {

constexpr int64_t kChannelsPerTask = 16;

// One channel's bins: sum_r wy[r] * sum_c wx[c] * x[r, c], divided by count.
template <typename T, typename A>
void PoolChannel(const T* xc, int64_t width, const AxisWeights<A>& rows,
                 const AxisWeights<A>& cols, int64_t pooled_h, int64_t pooled_w, A count, T* out) {
  for (int64_t ph = 0; ph < pooled_h; ++ph) {
    for (int64_t pw = 0; pw < pooled_w; ++pw) {
      A sum = A(0);
      for (size_t r = rows.offset[ph]; r < rows.offset[ph + 1]; ++r) {
        const T* row = xc + rows.index[r] * width;
        A row_sum = A(0);
        for (size_t c = cols.offset[pw]; c < cols.offset[pw + 1]; ++c) {
          row_sum += cols.weight[c] * Load<A>(row[cols.index[c]]);
        }
        sum += rows.weight[r] * row_sum;
      }
      out[ph * pooled_w + pw] = Store<T>(sum / count);
    }
  }
}

}  // namespace

template <typename T>
void RoIAlignCpu(const RoIAlignParams& p, const RoIAlignShape& s, const T* x, const T* rois, T* y,
                 const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t bins = p.output_height * p.output_width;
  const int64_t plane = s.height * s.width;
  const int64_t blocks = (s.channels + kChannelsPerTask - 1) / kChannelsPerTask;
  if (s.num_rois == 0 || blocks == 0) return;

  parallel_for(static_cast<size_t>(s.num_rois * blocks), [&](size_t task) {
    const int64_t k = static_cast<int64_t>(task) / blocks;
    const int64_t c_begin = (static_cast<int64_t>(task) % blocks) * kChannelsPerTask;
    const int64_t c_end = std::min(s.channels, c_begin + kChannelsPerTask);
    T* out = y + (k * s.channels + c_begin) * bins;

    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIAlignBox<A> box = MakeRoIAlignBox(roi + 1, static_cast<A>(p.spatial_scale),
                                               p.aligned != 0, p.output_height, p.output_width,
                                               p.sampling_ratio);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    AxisWeights<A> rows, cols;
    BuildAxisWeights(box.start_h, box.bin_h, box.grid_h, p.output_height, s.height, &rows);
    BuildAxisWeights(box.start_w, box.bin_w, box.grid_w, p.output_width, s.width, &cols);

    const int64_t batch = static_cast<int64_t>(roi[0]);
    for (int64_t c = c_begin; c < c_end; ++c) {
      const T* xc = x + (batch * s.channels + c) * plane;
      PoolChannel(xc, s.width, rows, cols, p.output_height, p.output_width, box.count,
                  out + (c - c_begin) * bins);
    }
  });
}

template void RoIAlignCpu<float>(const RoIAlignParams&, const RoIAlignShape&, const float*,
                                 const float*, float*, const ParallelFor&);
template void RoIAlignCpu<double>(const RoIAlignParams&, const RoIAlignShape&, const double*,
                                  const double*, double*, const ParallelFor&);
template void RoIAlignCpu<Half>(const RoIAlignParams&, const RoIAlignShape&, const Half*,
                                const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
