// Per-roi sampling weights along one axis, built once per roi and reused for
// every channel (the expensive part of RoIAlign is per channel, the geometry
// is not). For bin p, entries [offset[p], offset[p + 1]) list the pixel rows
// (or columns) the bin's samples touch and the summed bilinear weight of each.
#pragma once

#include <cstdint>
#include <vector>

#include "bilinear.h"
#include "half.h"
#include "roi_align_geometry.h"

namespace ort_roi {

template <typename A>
struct AxisWeights {
  std::vector<int64_t> index;
  std::vector<A> weight;
  std::vector<size_t> offset;

  void Add(int64_t i, A w, size_t bin_begin) {
    // Neighbouring samples mostly share a pixel: merge them so the channel
    // loop touches each pixel once per bin.
    if (index.size() > bin_begin && index.back() == i) {
      weight.back() += w;
    } else {
      index.push_back(i);
      weight.push_back(w);
    }
  }
};

// Samples of `pooled` bins of size `bin` from `start`, `grid` per bin, on an
// axis of `size` pixels. `size` must be positive.
template <typename A>
void BuildAxisWeights(A start, A bin, int64_t grid, int64_t pooled, int64_t size,
                      AxisWeights<A>* out) {
  out->index.clear();
  out->weight.clear();
  out->offset.assign(1, 0);
  for (int64_t p = 0; p < pooled; ++p) {
    const size_t begin = out->index.size();
    for (int64_t i = 0; i < grid; ++i) {
      const AxisTap<A> t = BilinearAxisTap(SampleCoord(start, bin, p, i, grid), static_cast<int>(size));
      if (!t.valid) continue;
      out->Add(t.low, t.w_low, begin);
      out->Add(t.high, t.w_high, begin);
    }
    out->offset.push_back(out->index.size());
  }
}

// Bin (ph, pw) of one plane (`width` pixels a row), not yet divided by the
// sample count: sum_r wy[r] * sum_c wx[c] * x[r, c]. RoIAlign reads every bin
// of a channel from one plane, PSRoIAlign each bin from its own.
template <typename T, typename A>
A WeightedBinSum(const T* plane, int64_t width, const AxisWeights<A>& rows,
                 const AxisWeights<A>& cols, int64_t ph, int64_t pw) {
  A sum = A(0);
  for (size_t r = rows.offset[ph]; r < rows.offset[ph + 1]; ++r) {
    const T* row = plane + rows.index[r] * width;
    A row_sum = A(0);
    for (size_t c = cols.offset[pw]; c < cols.offset[pw + 1]; ++c) {
      row_sum += cols.weight[c] * Load<A>(row[cols.index[c]]);
    }
    sum += rows.weight[r] * row_sum;
  }
  return sum;
}

}  // namespace ort_roi
