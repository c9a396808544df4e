// RoIAlign on the CPU: every roi pooled from the one feature map at the one
// scale. The per-roi work lives in common/roi_align_pool.h.
#include "common/half.h"
#include "common/roi_align_pool.h"
#include "roi_align/roi_align.h"

namespace ort_roi {

template <typename T>
void RoIAlignCpu(const RoIAlignParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                 const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const RoIAlignPooling pooling{p.output_height, p.output_width, p.sampling_ratio, p.aligned != 0};
  const int64_t bins = p.output_height * p.output_width;
  const int64_t image_size = s.channels * s.height * s.width;
  ForEachRoiChannelBlock(s.num_rois, s.channels, parallel_for,
                         [&](int64_t k, int64_t c_begin, int64_t c_end) {
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const int64_t batch = static_cast<int64_t>(roi[0]);
    PoolRoIAlignChannels(pooling, x + batch * image_size, s.height, s.width, roi + 1,
                         static_cast<A>(p.spatial_scale), c_begin, c_end,
                         y + (k * s.channels + c_begin) * bins);
  });
}

template void RoIAlignCpu<float>(const RoIAlignParams&, const RoIPoolingShape&, const float*,
                                 const float*, float*, const ParallelFor&);
template void RoIAlignCpu<double>(const RoIAlignParams&, const RoIPoolingShape&, const double*,
                                  const double*, double*, const ParallelFor&);
template void RoIAlignCpu<Half>(const RoIAlignParams&, const RoIPoolingShape&, const Half*,
                                const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
