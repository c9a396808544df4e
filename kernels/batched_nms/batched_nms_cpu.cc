// BatchedNMS on the CPU: the coordinate trick as one NMS over offset boxes,
// or each class's NMS as one parallel task, merged the way the path says.
#include <vector>

#include "batched_nms/batched_nms.h"
#include "common/class_offset.h"
#include "common/half.h"
#include "nms/nms_greedy.h"
#include "nms/score_sort.h"

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
  std::vector<A> score(num_boxes);
  for (int64_t k = 0; k < num_boxes; ++k) score[k] = Load<A>(scores[k]);
  std::vector<int64_t> by_score;
  StableScoreOrder(score.data(), num_boxes, &by_score);

  // Classes numbered in label order; class c's boxes get ranks
  // [starts[c], starts[c + 1]).
  std::vector<int64_t> by_label, class_of(num_boxes), starts;
  StableLabelOrder(idxs, num_boxes, &by_label);
  for (int64_t i = 0; i < num_boxes; ++i) {
    if (i == 0 || idxs[by_label[i]] != idxs[by_label[i - 1]]) starts.push_back(i);
    class_of[by_label[i]] = static_cast<int64_t>(starts.size()) - 1;
  }
  starts.push_back(num_boxes);

  // Within its class, a box ranks by the stable score order: torchvision's
  // nms(boxes[where(idxs == c)], ...) sorts the class's boxes, ascending in
  // index, stably by score.
  RankedBoxes<A> ranked;
  ranked.Resize(num_boxes);
  std::vector<int64_t> next(starts.begin(), starts.end() - 1);
  for (const int64_t k : by_score) ranked.Set(next[class_of[k]]++, k, boxes);

  // Each class marks only its own ranks, so the tasks share nothing.
  std::vector<SuppressFlag<A>> suppressed(num_boxes, 0);
  const A threshold = ThresholdIn<A>(p.iou_threshold);
  parallel_for(starts.size() - 1, [&](size_t c) {
    SuppressInRankOrder(ranked, starts[c], starts[c + 1], threshold, suppressed.data());
  });
  std::vector<unsigned char> kept(num_boxes, 0);
  for (int64_t r = 0; r < num_boxes; ++r) {
    if (!suppressed[r]) kept[ranked.index[r]] = 1;
  }

  // The kept boxes in the stable score order: "per_class"'s merge.
  std::vector<int64_t> merged;
  for (const int64_t k : by_score) {
    if (kept[k]) merged.push_back(k);
  }
  // torchvision: keep_indices = where(keep_mask); keep_indices[scores[
  // keep_indices].sort(descending=True)[1]], torch's unstable CPU sort. It
  // can order equal scores otherwise than index order (once more than 16
  // are kept), so with ties it is done as torch does it; without, every
  // sort gives the order above.
  if (!stable_merge && HasScoreTies(score.data(), merged)) {
    merged.clear();
    for (int64_t k = 0; k < num_boxes; ++k) {
      if (kept[k]) merged.push_back(k);
    }
    TorchUnstableScoreOrder(score.data(), &merged);
  }
  keep->insert(keep->end(), merged.begin(), merged.end());
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
