// BatchedNMS on the CPU: the coordinate trick as one NMS over offset boxes,
// or each class's NMS as one parallel task, merged the way the path says.
#include <algorithm>
#include <utility>

#include "batched_nms/batched_nms.h"
#include "common/class_offset.h"
#include "common/half.h"

namespace ort_roi {

namespace {

template <typename T>
void CoordinateTrick(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
                     const int64_t* idxs, std::vector<int64_t>* keep) {
  const T step = ClassStep(boxes, 4 * num_boxes);
  std::vector<T> shifted(4 * num_boxes);
  for (int64_t k = 0; k < num_boxes; ++k) OffsetBox(boxes + 4 * k, idxs[k], step, &shifted[4 * k]);
  NmsCpu(p, num_boxes, shifted.data(), scores, keep);
}

template <typename T>
void PerClass(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
              const int64_t* idxs, bool stable_merge, std::vector<int64_t>* keep,
              const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  // Box indices grouped by class, ascending within each class, as
  // torch.where(idxs == class_id) lists them.
  std::vector<int64_t> by_class(num_boxes);
  for (int64_t k = 0; k < num_boxes; ++k) by_class[k] = k;
  std::stable_sort(by_class.begin(), by_class.end(),
                   [idxs](int64_t a, int64_t b) { return idxs[a] < idxs[b]; });
  std::vector<int64_t> starts;
  for (int64_t k = 0; k < num_boxes; ++k) {
    if (k == 0 || idxs[by_class[k]] != idxs[by_class[k - 1]]) starts.push_back(k);
  }
  starts.push_back(num_boxes);

  // Each class marks only its own boxes, so the tasks share nothing.
  std::vector<unsigned char> kept(num_boxes, 0);
  parallel_for(starts.size() - 1, [&](size_t c) {
    std::vector<int64_t> class_keep;
    NmsCpuSubset(p, boxes, scores, by_class.data() + starts[c], starts[c + 1] - starts[c],
                 &class_keep);
    for (int64_t k : class_keep) kept[k] = 1;
  });

  // torchvision: keep_indices = where(keep_mask); keep_indices[scores[
  // keep_indices].sort(descending=True)[1]]. That sort is torch's unstable
  // CPU sort, which is std::sort over (score, index) pairs with NaN first;
  // the same std::sort on the same ascending sequence gives the same order
  // of equal scores, which a stable sort would not once more than 16 are kept.
  std::vector<std::pair<A, int64_t>> merged;
  for (int64_t k = 0; k < num_boxes; ++k) {
    if (kept[k]) merged.emplace_back(Load<A>(scores[k]), k);
  }
  if (stable_merge) {
    std::stable_sort(merged.begin(), merged.end(), ScoreOrder<A>);
  } else {
    std::sort(merged.begin(), merged.end(), ScoreOrder<A>);
  }
  for (const auto& m : merged) keep->push_back(m.second);
}

}  // namespace

template <typename T>
void BatchedNmsCpu(const BatchedNmsParams& p, int64_t num_boxes, const T* boxes,
                   const T* scores, const int64_t* idxs, std::vector<int64_t>* keep,
                   const ParallelFor& parallel_for) {
  if (num_boxes <= 0) return;
  switch (ChooseBatchedNmsPath(p, num_boxes, /*on_cuda=*/false)) {
    case BatchedNmsPath::kCoordinateTrick:
      CoordinateTrick(p.nms, num_boxes, boxes, scores, idxs, keep);
      break;
    case BatchedNmsPath::kPerClassTorchMerge:
      PerClass(p.nms, num_boxes, boxes, scores, idxs, false, keep, parallel_for);
      break;
    case BatchedNmsPath::kPerClassStableMerge:
      PerClass(p.nms, num_boxes, boxes, scores, idxs, true, keep, parallel_for);
      break;
  }
}

#define ORT_ROI_INSTANTIATE_BATCHED_NMS(T)                                                  \
  template void BatchedNmsCpu<T>(const BatchedNmsParams&, int64_t, const T*, const T*,      \
                                 const int64_t*, std::vector<int64_t>*, const ParallelFor&);
ORT_ROI_INSTANTIATE_BATCHED_NMS(float)
ORT_ROI_INSTANTIATE_BATCHED_NMS(double)
ORT_ROI_INSTANTIATE_BATCHED_NMS(Half)
#undef ORT_ROI_INSTANTIATE_BATCHED_NMS

}  // namespace ort_roi
