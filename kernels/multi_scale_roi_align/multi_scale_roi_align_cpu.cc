// MultiScaleRoIAlign on the CPU: one pass over (roi, block of channels); each
// task maps its roi to a level and pools it from that level's map with
// RoIAlign's per-roi code (common/roi_align_pool.h), writing in roi order.
#include <algorithm>

#include "common/half.h"
#include "common/level_mapper.h"
#include "common/roi_align_pool.h"
#include "multi_scale_roi_align/multi_scale_roi_align.h"

namespace ort_roi {

template <typename T>
void MultiScaleRoIAlignCpu(const MultiScaleRoIAlignParams& p, const MultiScaleRoIAlignShape& s,
                           const T* const* x, const T* rois, T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t levels = static_cast<int64_t>(s.heights.size());
  const LevelMapping mapping{PyramidLevel(p.spatial_scales.front()),
                             PyramidLevel(p.spatial_scales.back()), p.canonical_scale,
                             p.canonical_level, levels};
  const RoIAlignPooling pooling{p.output_height, p.output_width, p.sampling_ratio, p.aligned != 0};
  const int64_t bins = p.output_height * p.output_width;
  ForEachRoiChannelBlock(s.num_rois, s.channels, parallel_for,
                         [&](int64_t k, int64_t c_begin, int64_t c_end) {
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    T* out = y + (k * s.channels + c_begin) * bins;
    // One level: torchvision pools every roi from it, whatever its area.
    const int64_t l = levels == 1 ? 0 : MapLevel(roi + 1, mapping);
    if (l < 0) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const int64_t image_size = s.channels * s.heights[l] * s.widths[l];
    PoolRoIAlignChannels(pooling, x[l] + batch * image_size, s.heights[l], s.widths[l], roi + 1,
                         static_cast<A>(p.spatial_scales[l]), c_begin, c_end, out);
  });
}

template void MultiScaleRoIAlignCpu<float>(const MultiScaleRoIAlignParams&,
                                           const MultiScaleRoIAlignShape&, const float* const*,
                                           const float*, float*, const ParallelFor&);
template void MultiScaleRoIAlignCpu<double>(const MultiScaleRoIAlignParams&,
                                            const MultiScaleRoIAlignShape&, const double* const*,
                                            const double*, double*, const ParallelFor&);
template void MultiScaleRoIAlignCpu<Half>(const MultiScaleRoIAlignParams&,
                                          const MultiScaleRoIAlignShape&, const Half* const*,
                                          const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
