// NMS on the CPU: torchvision's greedy loop over boxes gathered in score
// order. With a threshold >= 0 each candidate is compared only with the kept
// boxes near it (kept_grid.h says why that is exact); otherwise, or below
// kGridMin boxes, every kept box with every later box.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "common/box_iou.h"
#include "common/half.h"
#include "nms/iou_rows.h"
#include "nms/kept_grid.h"
#include "nms/nms.h"
#include "nms/nms_greedy.h"
#include "nms/score_sort.h"

namespace ort_roi {

namespace {

// Below about this many boxes the grid costs more than it saves (measured:
// 700 crowded boxes of one class, 1000 sparse ones of a class of many).
constexpr int64_t kGridMin = 800;

// Every kept box against every later box: any threshold.
template <typename A>
void AllPairs(const A* x1, const A* y1, const A* x2, const A* y2, const A* area, int64_t count,
              A threshold, SuppressFlag<A>* sup) {
  using Flag = SuppressFlag<A>;
  if constexpr (std::is_same_v<A, float>) {
    if (const MarkIouAboveFn mark = VectorMarkIouAbove()) {
      for (int64_t i = 0; i < count; ++i) {
        if (sup[i]) continue;
        mark({x1, y1, x2, y2, area}, i + 1, count, {x1[i], y1[i], x2[i], y2[i], area[i]},
             threshold, sup);
      }
      return;
    }
  }
  for (int64_t i = 0; i < count; ++i) {
    if (sup[i]) continue;
    const A ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
    // torchvision skips boxes already suppressed; marking them again changes
    // nothing, and without the branch the loop vectorises.
    for (int64_t j = i + 1; j < count; ++j) {
      const A iou = BoxIoU(ix1, iy1, ix2, iy2, iarea, x1[j], y1[j], x2[j], y2[j], area[j]);
      sup[j] = iou > threshold ? Flag(1) : sup[j];
    }
  }
}

// Each candidate against the kept boxes near it: threshold >= 0 only.
template <typename A>
void OverlapsOnly(const A* x1, const A* y1, const A* x2, const A* y2, const A* area,
                  int64_t count, A threshold, SuppressFlag<A>* sup) {
  KeptGrid<A> grid(x1, y1, x2, y2, area, count, threshold);
  for (int64_t r = 0; r < count; ++r) {
    // A box that overlaps nothing is kept and suppresses nothing.
    if (!grid.Indexed(r)) continue;
    if (grid.Suppressed(r)) {
      sup[r] = 1;
    } else {
      grid.Insert(r);
    }
  }
}

template <typename T, typename BoxOf>
void Greedy(const NmsParams& p, const T* boxes, const T* scores, int64_t count, BoxOf box,
            std::vector<int64_t>* keep) {
  using A = typename Acc<T>::type;
  if (count <= 0) return;
  std::vector<A> key(count);
  for (int64_t k = 0; k < count; ++k) key[k] = Load<A>(scores[box(k)]);
  // torchvision's kernel sorts with stable=true: equal scores keep box order.
  std::vector<int64_t> order;
  StableScoreOrder(key.data(), count, &order);
  RankedBoxes<A> ranked;
  ranked.Resize(count);
  for (int64_t r = 0; r < count; ++r) ranked.Set(r, box(order[r]), boxes);

  std::vector<SuppressFlag<A>> suppressed(count, 0);
  SuppressInRankOrder(ranked, 0, count, ThresholdIn<A>(p.iou_threshold), suppressed.data());
  for (int64_t r = 0; r < count; ++r) {
    if (!suppressed[r]) keep->push_back(ranked.index[r]);
  }
}

}  // namespace

template <typename A>
void RankedBoxes<A>::Resize(int64_t count) {
  index.resize(count);
  for (auto* v : {&x1, &y1, &x2, &y2, &area}) v->resize(count);
}

template <typename A>
void SuppressInRankOrder(const RankedBoxes<A>& b, int64_t begin, int64_t end, A threshold,
                         SuppressFlag<A>* suppressed) {
  const int64_t count = end - begin;
  const A *x1 = b.x1.data() + begin, *y1 = b.y1.data() + begin, *x2 = b.x2.data() + begin,
          *y2 = b.y2.data() + begin, *area = b.area.data() + begin;
  // A threshold below 0 suppresses boxes that do not overlap (IoU 0 > t).
  if (threshold >= A(0) && count >= kGridMin) {
    OverlapsOnly(x1, y1, x2, y2, area, count, threshold, suppressed + begin);
  } else {
    AllPairs(x1, y1, x2, y2, area, count, threshold, suppressed + begin);
  }
}

template <typename T>
void NmsCpu(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
            std::vector<int64_t>* keep) {
  Greedy(p, boxes, scores, num_boxes, [](int64_t k) { return k; }, keep);
}

template struct RankedBoxes<float>;
template struct RankedBoxes<double>;
template void SuppressInRankOrder(const RankedBoxes<float>&, int64_t, int64_t, float,
                                  SuppressFlag<float>*);
template void SuppressInRankOrder(const RankedBoxes<double>&, int64_t, int64_t, double,
                                  SuppressFlag<double>*);

#define ORT_ROI_INSTANTIATE_NMS(T)                                                             \
  template void NmsCpu<T>(const NmsParams&, int64_t, const T*, const T*, std::vector<int64_t>*);
ORT_ROI_INSTANTIATE_NMS(float)
ORT_ROI_INSTANTIATE_NMS(double)
ORT_ROI_INSTANTIATE_NMS(Half)
#undef ORT_ROI_INSTANTIATE_NMS

}  // namespace ort_roi
