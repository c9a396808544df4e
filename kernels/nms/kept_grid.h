// The boxes NMS has kept so far, indexed by position, so that a candidate is
// compared only with kept boxes that overlap it.
//
// Why that is exact (iou_threshold >= 0 only): BoxIoU's width is
// max(0, min(x2) - max(x1)), which is > 0 only if min(x2) > max(x1) (a
// difference of x <= y never rounds above 0, and inf - inf is NaN, which max
// turns into 0); the same for the height. A pair without that overlap has
// intersection 0 (or NaN, 0 * inf), so its IoU is 0 / union or NaN, and
// neither is > a threshold >= 0. So a box with x2 <= x1 or y2 <= y1 (NaN
// included) never suppresses and is never suppressed, and a candidate needs
// the full IoU only against kept boxes it overlaps.
//
// Layout: a hierarchy of grids over the boxes' extent. Level 0 has the finest
// cells, level L cells 2^L times wider (cell index >> L). A box lives in one
// cell, at the lowest level where it spans at most two cells per axis, in the
// cell of its (x1, y1) corner. Since the cell index of a coordinate is a
// non-decreasing function of it, a kept box k that overlaps candidate j has
// cell(k.x1) <= cell(j.x2) and cell(k.x1) >= cell(k.x2) - 1 >= cell(j.x1) - 1,
// so the candidate visits cells [cell(j.x1) - 1, cell(j.x2)] per axis and
// level. Each cell's slots are reserved up front for all the boxes that map
// to it (kept or not), so inserting never allocates, and a cell's kept boxes
// lie contiguously, coordinates in separate arrays.
#pragma once

#include <cstdint>
#include <vector>

#include "nms/iou_rows.h"

namespace ort_roi {

template <typename A>
class KeptGrid {
 public:
  // Boxes r in [0, count) of the score-sorted arrays, which must outlive the grid.
  KeptGrid(const A* x1, const A* y1, const A* x2, const A* y2, const A* area, int64_t count);

  // Whether box r can take part in any suppression (x1 < x2 and y1 < y2).
  bool Indexed(int64_t r) const { return cell_of_[r] >= 0; }

  // Whether a kept box has IoU > threshold (>= 0) with box r (Indexed).
  bool Suppressed(int64_t r, A threshold) const;

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

  int32_t CellX(A x) const;
  int32_t CellY(A y) const;
  bool AnyAbove(int64_t begin, int64_t end, A x1, A y1, A x2, A y2, A area, A threshold) const;
  bool SuppressedAt(int level, int32_t cx1, int32_t cy1, int32_t cx2, int32_t cy2,
                    int64_t r, A threshold) const;

  const A *x1_, *y1_, *x2_, *y2_, *area_;
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
