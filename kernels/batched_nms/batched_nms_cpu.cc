// BatchedNMS on the CPU: group boxes by class, run each class's NMS as one
// parallel task, then merge the kept boxes the way torchvision does.
#include <algorithm>
#include <utility>

#include "batched_nms/batched_nms.h"
#include "common/half.h"

namespace ort_roi {

template <typename T>
void BatchedNmsCpu(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
                   const int64_t* idxs, std::vector<int64_t>* keep, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  if (num_boxes <= 0) return;

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
  std::sort(merged.begin(), merged.end(), ScoreOrder<A>);
  for (const auto& m : merged) keep->push_back(m.second);
}

template void BatchedNmsCpu<float>(const NmsParams&, int64_t, const float*, const float*,
                                   const int64_t*, std::vector<int64_t>*, const ParallelFor&);
template void BatchedNmsCpu<double>(const NmsParams&, int64_t, const double*, const double*,
                                    const int64_t*, std::vector<int64_t>*, const ParallelFor&);
template void BatchedNmsCpu<Half>(const NmsParams&, int64_t, const Half*, const Half*,
                                  const int64_t*, std::vector<int64_t>*, const ParallelFor&);

}  // namespace ort_roi
