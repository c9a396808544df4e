// The boxes NMS has kept so far, indexed by position, so that a candidate is
// compared only with kept boxes near it. The search may visit more kept
// boxes than can suppress, never fewer; every box it visits gets BoxIoU in
// full, so the decisions are those of the all-pairs loop. iou_threshold >= 0
// only (below 0, boxes far apart suppress each other).
//
// Which kept boxes can suppress candidate b (x shown, y alike):
//
// 1. Overlap. BoxIoU's width is max(0, min(x2) - max(x1)), which is > 0
//    only if min(x2) > max(x1) (a difference x - y with x <= y never rounds
//    above 0, and inf - inf is NaN, which max turns into 0). Without that the
//    intersection is 0 (or NaN, 0 * inf), and 0 / union or NaN is not above a
//    threshold >= 0. So a box with x2 <= x1 or y2 <= y1 (NaN included) never
//    suppresses and is never suppressed, and a kept box a can suppress b only
//    if a.x1 < b.x2 and a.x2 > b.x1.
//
// 2. Enough overlap, for 0 < t <= 1 and a candidate with finite corners and
//    a normal, finite area. In real numbers IoU > t needs an overlap wider
//    than t * (b.x2 - b.x1): the union is at least b's area and the
//    intersection at most overlap * b's height. In floats, with unit
//    roundoff u, the intersection is 0 unless the overlap is positive, the
//    intersection never exceeds either area (each step rounds monotonically),
//    so fl(area_a + area_b) - inter >= area_b * (1 - 3u), and BoxIoU comes
//    out at most about (1 + 11u) times overlap / (b.x2 - b.x1). So with
//    s = t / (1 + 128u) a suppressing kept box has a.x1 < b.x2 - s * w and
//    a.x2 > b.x1 + s * w, w = b.x2 - b.x1 (for t = 0.5: it covers b's centre).
//    Those bounds are computed in double and widened by more than their own
//    rounding (Reach).
//
// Layout: a hierarchy of grids over the boxes' extent. Level 0 has the finest
// cells, level L cells 2^L times wider (cell index >> L). A box lives in one
// cell, at the lowest level where it spans at most two cells per axis, in the
// cell of its (x1, y1) corner. Since the cell index of a coordinate is a
// non-decreasing function of it, a kept box with x1 < hi and x2 > lo has
// cell(x1) <= cell(hi) and cell(x1) >= cell(x2) - 1 >= cell(lo) - 1, so the
// candidate visits cells [cell(lo) - 1, cell(hi)] per axis and level. Each
// cell's slots are reserved up front for all the boxes that map to it (kept
// or not), so inserting never allocates, and a cell's kept boxes lie
// contiguously, coordinates in separate arrays.
#pragma once

#include <cstdint>
#include <vector>

#include "nms/iou_rows.h"

namespace ort_roi {

template <typename A>
class KeptGrid {
 public:
  // Boxes r in [0, count) of the score-sorted arrays, which must outlive the
  // grid; threshold = ThresholdIn<A>(iou_threshold) >= 0.
  KeptGrid(const A* x1, const A* y1, const A* x2, const A* y2, const A* area, int64_t count,
           A threshold);

  // Whether box r can take part in any suppression (x1 < x2 and y1 < y2).
  bool Indexed(int64_t r) const { return cell_of_[r] >= 0; }

  // Whether a kept box has IoU > threshold with box r (Indexed).
  bool Suppressed(int64_t r) const;

  // Adds box r (Indexed) to the kept boxes.
  void Insert(int64_t r);

 private:
  struct Level {
    int32_t width, height;  // cells
    int64_t first_cell;
    int64_t kept = 0;
  };
  struct Cell {
    int64_t begin, end;  // its slots holding kept boxes
  };

  int32_t CellX(double x) const;
  int32_t CellY(double y) const;
  // [lo, hi] narrowed by shrink_ * (hi - lo) at each end, then widened by
  // more than the rounding of computing it; NaN falls back to [lo, hi].
  void Reach(A lo, A hi, double* reach_lo, double* reach_hi) const;
  bool AnyAbove(int64_t begin, int64_t end, A x1, A y1, A x2, A y2, A area, A threshold) const;
  bool SuppressedAt(int level, int32_t cx1, int32_t cy1, int32_t cx2, int32_t cy2, int64_t r) const;

  const A *x1_, *y1_, *x2_, *y2_, *area_;
  A threshold_;
  double shrink_ = 0;  // s of point 2 above, 0 where it does not apply
  double x_origin_ = 0, y_origin_ = 0, x_scale_ = 0, y_scale_ = 0;
  int32_t columns_ = 1, rows_ = 1;  // level 0
  std::vector<Level> levels_;
  std::vector<int64_t> cell_of_;   // per box: its cell, -1 if not indexed
  std::vector<int8_t> level_of_;   // per box
  std::vector<Cell> cells_;
  std::vector<A> kx1_, ky1_, kx2_, ky2_, karea_;  // per slot: a kept box
  AnyIouAboveFn vector_any_above_ = nullptr;      // float only
};

}  // namespace ort_roi
