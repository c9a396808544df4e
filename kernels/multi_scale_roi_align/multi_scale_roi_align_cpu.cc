// MultiScaleRoIAlign on the CPU: each roi is mapped to its level, then each
// level pools its rois into their rows of the output (no gather or scatter of
// the rois' data). The per-roi work lives in common/roi_align_pool.h.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "common/half.h"
#include "common/level_mapper.h"
#include "common/roi_align_pool.h"
#include "multi_scale_roi_align/multi_scale_roi_align.h"

namespace ort_roi {

template <typename T>
void MultiScaleRoIAlignCpu(const MultiScaleRoIAlignParams& p, const MultiScaleRoIAlignShape& s,
                           const T* const* x, const T* rois, T* y, const ParallelFor& parallel_for,
                           const HostScratch& scratch) {
  using A = typename Acc<T>::type;
  const int64_t levels = static_cast<int64_t>(s.heights.size());
  const LevelMapping mapping = LevelMappingOf(p);
  const RoIAlignPooling pooling{p.output_height, p.output_width, p.sampling_ratio, p.aligned != 0};
  const int64_t bins = p.output_height * p.output_width;
  const int64_t k_all = s.num_rois;

  // The rois of each level, in roi order: by_level[first[l] .. first[l + 1]).
  std::vector<int64_t> level(static_cast<size_t>(k_all));
  std::vector<int64_t> first(static_cast<size_t>(levels + 1), 0);
  for (int64_t k = 0; k < k_all; ++k) {
    A box[4];
    for (int i = 0; i < 4; ++i) box[i] = Load<A>(rois[k * 5 + 1 + i]);
    // One level: torchvision pools every roi from it, whatever its area.
    level[k] = levels == 1 ? 0 : MapLevel(box, mapping);
    if (level[k] < 0) {
      std::fill(y + k * s.channels * bins, y + (k + 1) * s.channels * bins, Store<T>(A(0)));
    } else {
      ++first[level[k] + 1];
    }
  }
  for (int64_t l = 0; l < levels; ++l) first[l + 1] += first[l];
  std::vector<int64_t> by_level(static_cast<size_t>(first[levels]));
  {
    std::vector<int64_t> next(first.begin(), first.end() - 1);
    for (int64_t k = 0; k < k_all; ++k) {
      if (level[k] >= 0) by_level[next[level[k]]++] = k;
    }
  }

  // One scratch buffer serves the levels in turn (largest first), so that
  // the call never holds more than the largest level's.
  void* held = nullptr;
  size_t held_bytes = 0;
  const HostScratch reused = [&](size_t bytes) -> void* {
    if (bytes > held_bytes && scratch) {
      held = scratch(bytes);
      held_bytes = held != nullptr ? bytes : 0;
    }
    return bytes <= held_bytes ? held : nullptr;
  };
  for (int64_t l = 0; l < levels; ++l) {
    const RoIAlignMap<T> map{x[l], s.batch, s.channels, s.heights[l], s.widths[l]};
    RoIAlignRois(pooling, map, rois, static_cast<A>(p.spatial_scales[l]),
                 by_level.data() + first[l], first[l + 1] - first[l], y, parallel_for, reused);
  }
}

template void MultiScaleRoIAlignCpu<float>(const MultiScaleRoIAlignParams&,
                                           const MultiScaleRoIAlignShape&, const float* const*,
                                           const float*, float*, const ParallelFor&,
    const HostScratch&);
template void MultiScaleRoIAlignCpu<double>(const MultiScaleRoIAlignParams&,
                                            const MultiScaleRoIAlignShape&, const double* const*,
                                            const double*, double*, const ParallelFor&,
    const HostScratch&);
template void MultiScaleRoIAlignCpu<Half>(const MultiScaleRoIAlignParams&,
                                          const MultiScaleRoIAlignShape&, const Half* const*,
                                          const Half*, Half*, const ParallelFor&,
    const HostScratch&);

}  // namespace ort_roi
