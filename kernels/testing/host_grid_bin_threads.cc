// The roi pooling kernels' thread decode (common/bin_threads.h) on the host,
// so that tests reach its 64-bit branch, which no grid run here is big
// enough to take.
#include "common/bin_threads.h"
#include "testing/host_grid.h"

using namespace ort_roi;  // NOLINT: entry points only

// grid: num_rois, channels, per_thread, pooled_h, pooled_w.
// out: k, c0, ph, pw, count_c of thread `index`.
ORT_ROI_HOST_GRID_API int ort_roi_host_thread_at(const int64_t* grid, int64_t index,
                                                 int64_t* out) {
  const BinThread t = ThreadAt(BinGrid{grid[0], grid[1], grid[2], grid[3], grid[4]}, index);
  out[0] = t.k;
  out[1] = t.c0;
  out[2] = t.ph;
  out[3] = t.pw;
  out[4] = t.count_c;
  return 0;
}
