// NMS's CUDA pipeline on the host, for the host-grid entry points of NMS and
// BatchedNMS: every thread body over its whole grid, in the order the
// launcher (nms_cuda.cu) launches them. The one step that is not a body of
// ours, cub's radix sort, is a stable sort of the same keys here: cub's is
// stable too, so both give the same order (the device sort itself is tested
// only on a GPU).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nms/nms.h"
#include "nms/nms_cuda_body.h"
#include "testing/host_grid.h"

namespace ort_roi {

// chunk_rows: rows per mask chunk, a multiple of 64, or 0 for the device's
// choice (NmsChunkRows); small values test the chunking on small inputs.
// Writes keep[0, *count).
template <typename T>
void HostGridNms(const NmsParams& p, int64_t n, const T* boxes, const T* scores,
                 const int64_t* classes, int64_t chunk_rows, int64_t* keep, int64_t* count) {
  using A = typename Acc<T>::type;
  using K = typename NmsKey<A>::type;
  *count = 0;
  if (n == 0) return;
  std::vector<K> keys(n);
  std::vector<int64_t> index(n);
  RunGrid(n, [&](int64_t i) { NmsKeyThread(scores, keys.data(), index.data(), i); });
  std::vector<int64_t> order = index;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return keys[a] > keys[b]; });

  std::vector<A> sorted(4 * n);
  std::vector<int64_t> sorted_classes(classes != nullptr ? n : 0);
  RunGrid(n, [&](int64_t r) {
    NmsGatherThread(order.data(), boxes, classes, sorted.data(), sorted_classes.data(), r);
  });

  const A threshold = ThresholdIn<A>(p.iou_threshold);
  const int64_t rows = chunk_rows > 0 ? chunk_rows : NmsChunkRows(n);
  std::vector<uint64_t> removed(NmsColBlocks(n), 0);
  for (int64_t row = 0; row < n; row += rows) {
    const NmsChunk chunk = NmsChunkAt(n, rows, row);
    std::vector<uint64_t> mask(NmsMaskThreads(chunk));
    RunGrid(NmsMaskThreads(chunk), [&](int64_t i) {
      NmsMaskThread(sorted.data(), classes != nullptr ? sorted_classes.data() : nullptr, n,
                    threshold, chunk, mask.data(), i);
    });
    // NmsReduceKernel's steps, each over all its threads, barrier to barrier.
    for (int64_t block = chunk.first_block; block * kNmsBlock < row + chunk.rows; ++block) {
      uint64_t diagonal[kNmsBlock];
      for (int t = 0; t < kNmsBlock; ++t) diagonal[t] = NmsDiagonalWord(mask.data(), chunk, block, t);
      const uint64_t kept = NmsKeptInBlock(diagonal, removed[block], NmsRowsInBlock(chunk, block));
      if (kept != 0) {
        for (int t = 0; t < kNmsReduceThreads; ++t) {
          NmsApplyBlockThread<kNmsReduceThreads>(mask.data(), chunk, block, kept, *count,
                                                 order.data(), keep, removed.data(), t);
        }
      }
      *count += NmsPopCount(kept);
    }
  }
}

}  // namespace ort_roi
