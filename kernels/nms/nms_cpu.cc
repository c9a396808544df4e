// NMS on the CPU: torchvision's greedy loop over boxes gathered in score
// order, so the inner loop streams through contiguous arrays.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "common/box_iou.h"
#include "common/half.h"
#include "nms/nms.h"

namespace ort_roi {

namespace {

// Boxes `box(k)`, k in [0, count), with their areas, in score order.
template <typename A>
struct SortedBoxes {
  std::vector<int64_t> index;  // the box's index in `boxes`
  std::vector<A> x1, y1, x2, y2, area;
};

template <typename T, typename BoxOf>
SortedBoxes<typename Acc<T>::type> SortByScore(const T* boxes, const T* scores, int64_t count,
                                               BoxOf box) {
  using A = typename Acc<T>::type;
  std::vector<std::pair<A, int64_t>> order(count);
  for (int64_t k = 0; k < count; ++k) order[k] = {Load<A>(scores[box(k)]), k};
  // torchvision's kernel sorts with stable=true: equal scores keep box order.
  std::stable_sort(order.begin(), order.end(), ScoreOrder<A>);

  SortedBoxes<A> s;
  for (auto* v : {&s.x1, &s.y1, &s.x2, &s.y2, &s.area}) v->resize(count);
  s.index.resize(count);
  for (int64_t r = 0; r < count; ++r) {
    const int64_t n = box(order[r].second);
    const T* b = boxes + 4 * n;
    s.index[r] = n;
    s.x1[r] = Load<A>(b[0]);
    s.y1[r] = Load<A>(b[1]);
    s.x2[r] = Load<A>(b[2]);
    s.y2[r] = Load<A>(b[3]);
    s.area[r] = BoxArea(s.x1[r], s.y1[r], s.x2[r], s.y2[r]);
  }
  return s;
}

template <typename T, typename BoxOf>
void Greedy(const NmsParams& p, const T* boxes, const T* scores, int64_t count, BoxOf box,
            std::vector<int64_t>* keep) {
  using A = typename Acc<T>::type;
  if (count <= 0) return;
  const SortedBoxes<A> s = SortByScore(boxes, scores, count, box);
  const A threshold = ThresholdIn<A>(p.iou_threshold);
  const A *x1 = s.x1.data(), *y1 = s.y1.data(), *x2 = s.x2.data(), *y2 = s.y2.data();
  const A* area = s.area.data();
  // Flags as wide as A, so that the compare result needs no narrowing and
  // the inner loop vectorises for double too.
  using Flag = std::conditional_t<sizeof(A) == 8, int64_t, int32_t>;
  std::vector<Flag> suppressed(count, 0);
  Flag* sup = suppressed.data();
  for (int64_t i = 0; i < count; ++i) {
    if (sup[i]) continue;
    keep->push_back(s.index[i]);
    const A ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
    // torchvision skips boxes already suppressed; marking them again changes
    // nothing, and without the branch the loop vectorises.
    for (int64_t j = i + 1; j < count; ++j) {
      const A iou = BoxIoU(ix1, iy1, ix2, iy2, iarea, x1[j], y1[j], x2[j], y2[j], area[j]);
      sup[j] = iou > threshold ? Flag(1) : sup[j];
    }
  }
}

}  // namespace

template <typename T>
void NmsCpu(const NmsParams& p, int64_t num_boxes, const T* boxes, const T* scores,
            std::vector<int64_t>* keep) {
  Greedy(p, boxes, scores, num_boxes, [](int64_t k) { return k; }, keep);
}

template <typename T>
void NmsCpuSubset(const NmsParams& p, const T* boxes, const T* scores, const int64_t* members,
                  int64_t count, std::vector<int64_t>* keep) {
  Greedy(p, boxes, scores, count, [members](int64_t k) { return members[k]; }, keep);
}

#define ORT_ROI_INSTANTIATE_NMS(T)                                                             \
  template void NmsCpu<T>(const NmsParams&, int64_t, const T*, const T*, std::vector<int64_t>*); \
  template void NmsCpuSubset<T>(const NmsParams&, const T*, const T*, const int64_t*, int64_t,   \
                                std::vector<int64_t>*);
ORT_ROI_INSTANTIATE_NMS(float)
ORT_ROI_INSTANTIATE_NMS(double)
ORT_ROI_INSTANTIATE_NMS(Half)
#undef ORT_ROI_INSTANTIATE_NMS

}  // namespace ort_roi
