// NMS's greedy loop over boxes already gathered in score order, one array per
// coordinate: NMS runs it once over all boxes, BatchedNMS's per-class paths
// once per class over that class's stretch of one shared set of arrays.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/box_iou.h"
#include "common/half.h"

namespace ort_roi {

// Boxes in score order: rank r is box index[r], coordinates in A.
template <typename A>
struct RankedBoxes {
  std::vector<int64_t> index;
  std::vector<A> x1, y1, x2, y2, area;

  void Resize(int64_t count);
  // Rank r holds box n of boxes [N, 4] (its area as torchvision computes it).
  template <typename T>
  void Set(int64_t r, int64_t n, const T* boxes);
};

// Flags as wide as A, so that a compare result needs no narrowing and the
// all-pairs loop vectorises for double too.
template <typename A>
using SuppressFlag = std::conditional_t<sizeof(A) == 8, int64_t, int32_t>;

// Greedy NMS over ranks [begin, end) alone: sets suppressed[r] (0 on entry)
// for every rank the boxes of better rank suppress, as torchvision's loop
// does. `threshold` is ThresholdIn<A>(iou_threshold).
template <typename A>
void SuppressInRankOrder(const RankedBoxes<A>& boxes, int64_t begin, int64_t end, A threshold,
                         SuppressFlag<A>* suppressed);

template <typename A>
template <typename T>
void RankedBoxes<A>::Set(int64_t r, int64_t n, const T* boxes) {
  const T* b = boxes + 4 * n;
  index[r] = n;
  x1[r] = Load<A>(b[0]);
  y1[r] = Load<A>(b[1]);
  x2[r] = Load<A>(b[2]);
  y2[r] = Load<A>(b[3]);
  area[r] = BoxArea(x1[r], y1[r], x2[r], y2[r]);
}

}  // namespace ort_roi
