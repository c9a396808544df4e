// KeptGrid (kept_grid.h): building the cells once per call, then the
// candidate's query and the kept box's insertion.
#include "nms/kept_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "common/box_iou.h"
#include "nms/iou_rows.h"

namespace ort_roi {

namespace {

// Cells only steer the search; these constants trade cells visited against
// boxes compared and never change a result.
constexpr double kCellPerTypicalBox = 0.75;  // level 0's cell, in typical box sizes
constexpr int kSizeSamples = 64;

// Below this candidate area the bound on the overlap is not used: a
// subnormal intersection's absolute rounding must stay far below the margin.
template <typename A>
constexpr A kMinArea = std::numeric_limits<A>::min() * A(1 << 30);

// The median of max(width, height) over up to kSizeSamples indexed boxes
// spread over the call; 0 if none is finite.
template <typename A>
double TypicalSize(const A* x1, const A* y1, const A* x2, const A* y2,
                   const std::vector<int64_t>& indexed) {
  double sizes[kSizeSamples];
  int n = 0;
  const size_t step = std::max<size_t>(1, indexed.size() / kSizeSamples);
  for (size_t i = 0; i < indexed.size() && n < kSizeSamples; i += step) {
    const int64_t r = indexed[i];
    const double size = std::max(double(x2[r]) - double(x1[r]), double(y2[r]) - double(y1[r]));
    if (std::isfinite(size)) sizes[n++] = size;
  }
  if (n == 0) return 0;
  std::nth_element(sizes, sizes + n / 2, sizes + n);
  return sizes[n / 2];
}

// Cells along an axis of extent `span` for cells of `size`, at most `limit`.
int32_t CellsAlong(double span, double size, double limit) {
  if (!(span > 0) || !(size > 0) || !std::isfinite(span / size)) return 1;
  return static_cast<int32_t>(std::clamp(std::ceil(span / size), 1.0, limit));
}

}  // namespace

template <typename A>
KeptGrid<A>::KeptGrid(const A* x1, const A* y1, const A* x2, const A* y2, const A* area,
                      int64_t count, A threshold)
    : x1_(x1),
      y1_(y1),
      x2_(x2),
      y2_(y2),
      area_(area),
      threshold_(threshold),
      cell_of_(count, -1),
      level_of_(count, 0) {
  // IoU > t needs an overlap wider than about t times the candidate's width
  // (kept_grid.h); 64 epsilons cover BoxIoU's roundings with room to spare.
  if (threshold > A(0) && threshold <= A(1)) {
    shrink_ = double(threshold) / (1 + 64 * double(std::numeric_limits<A>::epsilon()));
  }
  // The extent of the finite coordinates of the boxes that can overlap.
  std::vector<int64_t> indexed;
  indexed.reserve(count);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double lo_x = kInf, hi_x = -kInf, lo_y = kInf, hi_y = -kInf;
  for (int64_t r = 0; r < count; ++r) {
    if (!(x1[r] < x2[r] && y1[r] < y2[r])) continue;
    indexed.push_back(r);
    for (const double x : {double(x1[r]), double(x2[r])}) {
      if (std::isfinite(x)) lo_x = std::min(lo_x, x), hi_x = std::max(hi_x, x);
    }
    for (const double y : {double(y1[r]), double(y2[r])}) {
      if (std::isfinite(y)) lo_y = std::min(lo_y, y), hi_y = std::max(hi_y, y);
    }
  }
  const int64_t n = static_cast<int64_t>(indexed.size());
  const double span_x = hi_x - lo_x, span_y = hi_y - lo_y;  // NaN or -inf if none
  // Cells about the size of a typical box, and not many more cells than boxes.
  const double by_density = (span_x > 0 && span_y > 0) ? std::sqrt(span_x * span_y / double(n)) : 0;
  const double typical = TypicalSize(x1, y1, x2, y2, indexed);
  const double cell = std::max(kCellPerTypicalBox * typical, by_density);
  const double limit = 2.0 * double(n) + 16;
  columns_ = CellsAlong(span_x, cell, limit);
  rows_ = CellsAlong(span_y, cell, limit);
  while (double(columns_) * rows_ > limit) {
    if (columns_ >= rows_) {
      columns_ = (columns_ + 1) / 2;
    } else {
      rows_ = (rows_ + 1) / 2;
    }
  }
  x_origin_ = columns_ > 1 ? lo_x : 0;
  y_origin_ = rows_ > 1 ? lo_y : 0;
  x_scale_ = columns_ > 1 ? columns_ / span_x : 0;
  y_scale_ = rows_ > 1 ? rows_ / span_y : 0;

  // Levels until one cell covers everything.
  int64_t cells = 0;
  for (int level = 0;; ++level) {
    const int32_t w = ((columns_ - 1) >> level) + 1, h = ((rows_ - 1) >> level) + 1;
    levels_.push_back({w, h, cells});
    cells += int64_t{w} * h;
    if (w == 1 && h == 1) break;
  }

  // Each indexed box's cell, then every cell's slots reserved in box order.
  std::vector<int64_t> slots_in(cells + 1, 0);
  for (const int64_t r : indexed) {
    const int32_t cx1 = CellX(x1[r]), cx2 = CellX(x2[r]), cy1 = CellY(y1[r]), cy2 = CellY(y2[r]);
    int level = 0;
    while ((cx2 >> level) - (cx1 >> level) > 1 || (cy2 >> level) - (cy1 >> level) > 1) ++level;
    const Level& lv = levels_[level];
    cell_of_[r] = lv.first_cell + int64_t{cy1 >> level} * lv.width + (cx1 >> level);
    level_of_[r] = static_cast<int8_t>(level);
    ++slots_in[cell_of_[r] + 1];
  }
  for (int64_t c = 0; c < cells; ++c) slots_in[c + 1] += slots_in[c];
  cells_.resize(cells);
  for (int64_t c = 0; c < cells; ++c) cells_[c] = {slots_in[c], slots_in[c]};
  for (auto* v : {&kx1_, &ky1_, &kx2_, &ky2_, &karea_}) v->resize(n);
  if constexpr (std::is_same_v<A, float>) vector_any_above_ = VectorAnyIouAbove();
}

template <typename A>
int32_t KeptGrid<A>::CellX(double x) const {
  // Non-decreasing in x whatever the rounding, which is all the search needs.
  const double v = (x - x_origin_) * x_scale_;
  if (!(v > 0)) return 0;
  return v >= columns_ ? columns_ - 1 : static_cast<int32_t>(v);
}

template <typename A>
int32_t KeptGrid<A>::CellY(double y) const {
  const double v = (y - y_origin_) * y_scale_;
  if (!(v > 0)) return 0;
  return v >= rows_ ? rows_ - 1 : static_cast<int32_t>(v);
}

template <typename A>
bool KeptGrid<A>::SuppressedAt(int level, int32_t cx1, int32_t cy1, int32_t cx2, int32_t cy2,
                               int64_t r) const {
  const Level& lv = levels_[level];
  if (lv.kept == 0) return false;
  const A x1 = x1_[r], y1 = y1_[r], x2 = x2_[r], y2 = y2_[r], area = area_[r];
  const int32_t col_end = (cx2 >> level) + 1, row_end = (cy2 >> level) + 1;
  for (int32_t row = std::max((cy1 >> level) - 1, 0); row < row_end; ++row) {
    const Cell* line = cells_.data() + lv.first_cell + int64_t{row} * lv.width;
    for (int32_t col = std::max((cx1 >> level) - 1, 0); col < col_end; ++col) {
      if (AnyAbove(line[col].begin, line[col].end, x1, y1, x2, y2, area, threshold_)) return true;
    }
  }
  return false;
}

template <typename A>
bool KeptGrid<A>::AnyAbove(int64_t begin, int64_t end, A x1, A y1, A x2, A y2, A area,
                           A threshold) const {
  if constexpr (std::is_same_v<A, float>) {
    if (vector_any_above_ != nullptr) {
      return vector_any_above_({kx1_.data(), ky1_.data(), kx2_.data(), ky2_.data(), karea_.data()},
                               begin, end, {x1, y1, x2, y2, area}, threshold);
    }
  }
  const A *kx1 = kx1_.data(), *ky1 = ky1_.data(), *kx2 = kx2_.data(), *ky2 = ky2_.data();
  const A* karea = karea_.data();
  // No branch in the loop, so that it vectorises; the kept box first, as
  // the all-pairs loop passes it.
  int hit = 0;
  for (int64_t s = begin; s < end; ++s) {
    hit |= BoxIoU(kx1[s], ky1[s], kx2[s], ky2[s], karea[s], x1, y1, x2, y2, area) > threshold;
  }
  return hit != 0;
}

template <typename A>
void KeptGrid<A>::Reach(A lo, A hi, double* reach_lo, double* reach_hi) const {
  *reach_lo = lo;
  *reach_hi = hi;
  if (shrink_ == 0) return;
  const double l = lo, h = hi, w = h - l;
  // Covers the rounding of these few double operations, so that the ends
  // move by at most shrink_ * w in real numbers.
  const double slack = 2e-15 * (std::fabs(l) + std::fabs(h));
  const double new_lo = l + shrink_ * w - slack, new_hi = h - shrink_ * w + slack;
  if (!std::isnan(new_lo) && !std::isnan(new_hi)) *reach_lo = new_lo, *reach_hi = new_hi;
}

template <typename A>
bool KeptGrid<A>::Suppressed(int64_t r) const {
  // Where a kept box's x1 and x2 (y1 and y2) must lie to suppress box r.
  double x_lo, x_hi, y_lo, y_hi;
  const A area = area_[r];
  if (std::isfinite(x1_[r]) && std::isfinite(x2_[r]) && std::isfinite(y1_[r]) &&
      std::isfinite(y2_[r]) && area >= kMinArea<A> && area <= std::numeric_limits<A>::max()) {
    Reach(x1_[r], x2_[r], &x_lo, &x_hi);
    Reach(y1_[r], y2_[r], &y_lo, &y_hi);
  } else {
    x_lo = x1_[r], x_hi = x2_[r], y_lo = y1_[r], y_hi = y2_[r];
  }
  const int32_t cx1 = CellX(x_lo), cx2 = CellX(x_hi), cy1 = CellY(y_lo), cy2 = CellY(y_hi);
  // Boxes of the candidate's own size are the likeliest to suppress it.
  const int own = level_of_[r];
  if (SuppressedAt(own, cx1, cy1, cx2, cy2, r)) return true;
  for (int level = 0; level < static_cast<int>(levels_.size()); ++level) {
    if (level != own && SuppressedAt(level, cx1, cy1, cx2, cy2, r)) return true;
  }
  return false;
}

template <typename A>
void KeptGrid<A>::Insert(int64_t r) {
  const int64_t s = cells_[cell_of_[r]].end++;
  kx1_[s] = x1_[r];
  ky1_[s] = y1_[r];
  kx2_[s] = x2_[r];
  ky2_[s] = y2_[r];
  karea_[s] = area_[r];
  ++levels_[level_of_[r]].kept;
}

template class KeptGrid<float>;
template class KeptGrid<double>;

}  // namespace ort_roi
