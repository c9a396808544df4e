// RoIAlign on the CPU: every roi pooled from the one feature map at the one
// scale. The work lives in common/roi_align_pool.h.
#include "common/half.h"
#include "common/roi_align_pool.h"
#include "roi_align/roi_align.h"

namespace ort_roi {

template <typename T>
void RoIAlignCpu(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                 const ParallelFor& parallel_for, const HostScratch& scratch) {
  using A = typename Acc<T>::type;
  const RoIAlignPooling pooling{p.output_height, p.output_width, p.sampling_ratio, p.aligned != 0};
  const RoIAlignMap<T> map{x, s.batch, s.channels, s.height, s.width};
  RoIAlignRois(pooling, map, rois, static_cast<A>(p.spatial_scale), nullptr, s.num_rois, y,
               parallel_for, scratch);
}

template void RoIAlignCpu<float>(const RoIAlignParams&, const RoIPoolingShape&, const float*,
                                 const float*, float*, const ParallelFor&,
                                 const HostScratch&);
template void RoIAlignCpu<double>(const RoIAlignParams&, const RoIPoolingShape&, const double*,
                                  const double*, double*, const ParallelFor&,
                                  const HostScratch&);
template void RoIAlignCpu<Half>(const RoIAlignParams&, const RoIPoolingShape&, const Half*,
                                const Half*, Half*, const ParallelFor&,
                                const HostScratch&);

}  // namespace ort_roi
