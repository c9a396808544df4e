// BatchedNMS on the CPU: the coordinate trick as one NMS over offset boxes,
// or each class's NMS as one parallel task, merged the way the path says.
#include <algorithm>
#include <utility>
#include <vector>

#include "batched_nms/batched_nms.h"
#include "common/class_offset.h"
#include "common/half.h"
#include "nms/nms_greedy.h"
#include "nms/score_sort.h"

namespace ort_roi {

namespace {

// The boxes grouped by class, each class's in the stable score order.
template <typename A>
struct ByClass {
  std::vector<A> score;           // per box
  std::vector<int64_t> by_score;  // every box, stable score order
  std::vector<int64_t> starts;    // class c (in label order) holds ranks [starts[c], starts[c + 1])
  RankedBoxes<A> ranked;
};

template <typename T, typename A>
void GroupByClass(int64_t num_boxes, const T* boxes, const T* scores, const int64_t* idxs,
                  ByClass<A>* g) {
  g->score.resize(num_boxes);
  for (int64_t k = 0; k < num_boxes; ++k) g->score[k] = Load<A>(scores[k]);
  StableScoreOrder(g->score.data(), num_boxes, &g->by_score);

  std::vector<int64_t> by_label, class_of(num_boxes);
  StableLabelOrder(idxs, num_boxes, &by_label);
  for (int64_t i = 0; i < num_boxes; ++i) {
    if (i == 0 || idxs[by_label[i]] != idxs[by_label[i - 1]]) g->starts.push_back(i);
    class_of[by_label[i]] = static_cast<int64_t>(g->starts.size()) - 1;
  }
  g->starts.push_back(num_boxes);

  // Within its class, a box ranks by the stable score order: torchvision's
  // nms(boxes[where(idxs == c)], ...) sorts the class's boxes, ascending in
  // index, stably by score.
  g->ranked.Resize(num_boxes);
  std::vector<int64_t> next(g->starts.begin(), g->starts.end() - 1);
  for (const int64_t k : g->by_score) g->ranked.Set(next[class_of[k]]++, k, boxes);
}

// Whether no box of one class reaches into another's box along x, or along y,
// as the classes' extents say. Then, with a threshold >= 0, no two classes'
// boxes can suppress each other (kept_grid.h, point 1: that takes overlap on
// both axes), and boxes that cannot take part (x1 < x2 and y1 < y2 false) are
// left out of the extents.
template <typename A>
bool ClassesApart(const ByClass<A>& g) {
  const RankedBoxes<A>& b = g.ranked;
  std::vector<std::pair<A, A>> x, y;  // per class with boxes that take part: (lo, hi)
  for (size_t c = 0; c + 1 < g.starts.size(); ++c) {
    bool any = false;
    A x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
    for (int64_t r = g.starts[c]; r < g.starts[c + 1]; ++r) {
      if (!(b.x1[r] < b.x2[r] && b.y1[r] < b.y2[r])) continue;  // NaN too
      x_lo = any ? std::min(x_lo, b.x1[r]) : b.x1[r];
      x_hi = any ? std::max(x_hi, b.x2[r]) : b.x2[r];
      y_lo = any ? std::min(y_lo, b.y1[r]) : b.y1[r];
      y_hi = any ? std::max(y_hi, b.y2[r]) : b.y2[r];
      any = true;
    }
    if (any) x.emplace_back(x_lo, x_hi), y.emplace_back(y_lo, y_hi);
  }
  const auto apart = [](std::vector<std::pair<A, A>>& spans) {
    std::sort(spans.begin(), spans.end());  // by lo
    for (size_t i = 1; i < spans.size(); ++i) {
      // spans[i - 1].second: the furthest hi of the classes before i.
      if (spans[i - 1].second > spans[i].first) return false;
      spans[i].second = std::max(spans[i].second, spans[i - 1].second);
    }
    return true;
  };
  return apart(x) || apart(y);
}

// NMS within each class; the kept boxes merged in the stable score order, or,
// for torchvision's per-class path, as its unstable sort orders them.
template <typename A>
void PerClass(const NmsParams& p, const ByClass<A>& g, bool stable_merge,
              std::vector<int64_t>* keep, const ParallelFor& parallel_for) {
  const int64_t num_boxes = static_cast<int64_t>(g.by_score.size());
  // Each class marks only its own ranks, so the tasks share nothing.
  std::vector<SuppressFlag<A>> suppressed(num_boxes, 0);
  const A threshold = ThresholdIn<A>(p.iou_threshold);
  parallel_for(g.starts.size() - 1, [&](size_t c) {
    SuppressInRankOrder(g.ranked, g.starts[c], g.starts[c + 1], threshold, suppressed.data());
  });
  std::vector<unsigned char> kept(num_boxes, 0);
  for (int64_t r = 0; r < num_boxes; ++r) {
    if (!suppressed[r]) kept[g.ranked.index[r]] = 1;
  }

  // The kept boxes in the stable score order: "per_class"'s merge.
  std::vector<int64_t> merged;
  for (const int64_t k : g.by_score) {
    if (kept[k]) merged.push_back(k);
  }
  // torchvision: keep_indices = where(keep_mask); keep_indices[scores[
  // keep_indices].sort(descending=True)[1]], torch's unstable CPU sort. It
  // can order equal scores otherwise than index order (once more than 16
  // are kept), so with ties it is done as torch does it; without, every
  // sort gives the order above.
  if (!stable_merge && HasScoreTies(g.score.data(), merged)) {
    merged.clear();
    for (int64_t k = 0; k < num_boxes; ++k) {
      if (kept[k]) merged.push_back(k);
    }
    TorchUnstableScoreOrder(g.score.data(), &merged);
  }
  keep->insert(keep->end(), merged.begin(), merged.end());
}

// torchvision's coordinate trick: one NMS over the boxes moved apart by
// class. When the moved classes lie apart (ClassesApart), that NMS keeps what
// NMS within each class of the moved boxes keeps, in the same stable score
// order, and the classes' small NMSs cost far less than one over them all.
template <typename T>
void CoordinateTrick(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
                     const int64_t* idxs, std::vector<int64_t>* keep,
                     const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const T step = ClassStep(boxes, 4 * num_boxes);
  std::vector<T> shifted(4 * num_boxes);
  for (int64_t k = 0; k < num_boxes; ++k) OffsetBox(boxes + 4 * k, idxs[k], step, &shifted[4 * k]);
  if (ThresholdIn<A>(p.iou_threshold) >= A(0)) {
    ByClass<A> g;
    GroupByClass(num_boxes, shifted.data(), scores, idxs, &g);
    if (ClassesApart(g)) return PerClass(p, g, /*stable_merge=*/true, keep, parallel_for);
  }
  NmsCpu(p, num_boxes, shifted.data(), scores, keep);
}

template <typename T>
void PerClassOf(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
                const int64_t* idxs, bool stable_merge, std::vector<int64_t>* keep,
                const ParallelFor& parallel_for) {
  ByClass<typename Acc<T>::type> g;
  GroupByClass(num_boxes, boxes, scores, idxs, &g);
  PerClass(p, g, stable_merge, keep, parallel_for);
}

}  // namespace

template <typename T>
void BatchedNmsCpu(const BatchedNmsParams& p, int64_t num_boxes, const T* boxes,
                   const T* scores, const int64_t* idxs, std::vector<int64_t>* keep,
                   const ParallelFor& parallel_for) {
  if (num_boxes <= 0) return;
  switch (ChooseBatchedNmsPath(p, num_boxes, /*on_cuda=*/false)) {
    case BatchedNmsPath::kCoordinateTrick:
      CoordinateTrick(p.nms, num_boxes, boxes, scores, idxs, keep, parallel_for);
      break;
    case BatchedNmsPath::kPerClassTorchMerge:
      PerClassOf(p.nms, num_boxes, boxes, scores, idxs, false, keep, parallel_for);
      break;
    case BatchedNmsPath::kPerClassStableMerge:
      PerClassOf(p.nms, num_boxes, boxes, scores, idxs, true, keep, parallel_for);
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
