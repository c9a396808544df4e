// The per-thread bodies of NMS's CUDA kernels, compiled for the device by
// nvcc and for the host by the CPU build, whose tests run them over their
// whole launch grids (kernels/testing/host_grid_nms.cc) against torchvision.
//
// torchvision's CUDA scheme: the boxes in descending score order (a stable
// sort), a mask whose word (i, j) has bit t set when sorted box i suppresses
// sorted box 64 j + t, then the greedy pass over the words. Unlike
// torchvision's CUDA kernel, whose IoU is its own (fmaxf, fused multiply-
// adds, a float threshold), the IoU and the comparison here are
// torchvision's CPU kernel's (box_iou.h, ThresholdIn), so CUDA and CPU keep
// the same boxes, NaN boxes included.
//
// The mask is built and reduced in chunks of rows so that its memory stays
// bounded (kNmsMaskChunkBytes) whatever the number of boxes; a row only
// needs the words of its own column block and the blocks after it.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/box_iou.h"
#include "common/half.h"
#include "common/host_device.h"

namespace ort_roi {

constexpr int64_t kNmsBlock = 64;  // boxes per mask word
constexpr int64_t kNmsMaskChunkBytes = int64_t{64} << 20;

ORT_ROI_HD int64_t NmsColBlocks(int64_t n) { return (n + kNmsBlock - 1) / kNmsBlock; }

// Rows of one mask chunk: a multiple of 64 whose words fit the budget (at
// least 64 rows, 8 * n bytes), and no more than n rounded up to 64, so that
// a call with few boxes takes the scratch its mask needs and not the budget
// (120 boxes once took 64 MiB, per stream in flight).
ORT_ROI_HD int64_t NmsChunkRows(int64_t n) {
  const int64_t words = NmsColBlocks(n) > 0 ? NmsColBlocks(n) : 1;
  const int64_t budget = kNmsMaskChunkBytes / 8 / words / kNmsBlock * kNmsBlock;
  const int64_t rows = budget < words * kNmsBlock ? budget : words * kNmsBlock;
  return rows > kNmsBlock ? rows : kNmsBlock;
}

// Words of the one mask chunk the launcher allocates.
ORT_ROI_HD int64_t NmsMaskWords(int64_t n) { return NmsChunkRows(n) * NmsColBlocks(n); }

// Rows [row_begin, row_begin + rows) of the mask, words of the column
// blocks [first_block, first_block + width): the chunk's first row is in
// first_block, and no row needs a block before its own.
struct NmsChunk {
  int64_t row_begin, rows, first_block, width;
};

// The chunk of `chunk_rows` (a multiple of 64) rows that starts at row_begin.
ORT_ROI_HD NmsChunk NmsChunkAt(int64_t n, int64_t chunk_rows, int64_t row_begin) {
  const int64_t rows = n - row_begin < chunk_rows ? n - row_begin : chunk_rows;
  const int64_t first_block = row_begin / kNmsBlock;
  return NmsChunk{row_begin, rows, first_block, NmsColBlocks(n) - first_block};
}

ORT_ROI_HD int64_t NmsMaskThreads(const NmsChunk& c) { return c.rows * c.width; }

// ---- sort ----------------------------------------------------------------

// An unsigned key whose descending order is ScoreOrder's (nms.h): by value,
// -0 equal to +0, every NaN above every number and equal to the others. A
// stable radix sort of these keys (cub's on the device) then gives exactly
// the CPU kernel's order, equal scores and NaNs in index order. (torch's
// stable CUDA sort, which torchvision's CUDA nms uses, agrees up to 128
// scores, where it merge-sorts with NaN above all; beyond, it radix-sorts
// the floats' bits, which puts a NaN with its sign bit set last.)
template <typename A>
struct NmsKey;
template <>
struct NmsKey<float> {
  using type = uint32_t;
};
template <>
struct NmsKey<double> {
  using type = uint64_t;
};

template <typename A>
ORT_ROI_HD typename NmsKey<A>::type NmsScoreKey(A score) {
  using K = typename NmsKey<A>::type;
  constexpr K kSign = K{1} << (8 * sizeof(K) - 1);
  if (score != score) return ~K{0};
  if (score == A(0)) return kSign;
  K bits;
  std::memcpy(&bits, &score, sizeof bits);
  // Negative numbers: every bit flipped, so larger magnitudes come lower;
  // positive ones: above all negative ones.
  return (bits & kSign) ? ~bits : (bits | kSign);
}

// Thread i of n: the sort's input, (key of score i, i).
template <typename T>
ORT_ROI_HD void NmsKeyThread(const T* scores, typename NmsKey<typename Acc<T>::type>::type* keys,
                             int64_t* index, int64_t i) {
  keys[i] = NmsScoreKey(Load<typename Acc<T>::type>(scores[i]));
  index[i] = i;
}

// Thread r of n: box order[r] (and its class, when there are classes) at
// sorted position r, in the IoU's type.
template <typename T>
ORT_ROI_HD void NmsGatherThread(const int64_t* order, const T* boxes, const int64_t* classes,
                                typename Acc<T>::type* sorted, int64_t* sorted_classes,
                                int64_t r) {
  const int64_t n = order[r];
  for (int64_t c = 0; c < 4; ++c) sorted[4 * r + c] = Load<typename Acc<T>::type>(boxes[4 * n + c]);
  if (classes != nullptr) sorted_classes[r] = classes[n];
}

// ---- mask ----------------------------------------------------------------

// Word (row, block): bit t when sorted box c = 64 block + t comes after
// `row` (c > row), shares its class (when there are classes: BatchedNMS per
// class, where boxes of other classes never suppress each other), and
// IoU(row, c) > threshold, the IoU computed as NmsCpu computes it.
template <typename A>
ORT_ROI_HD uint64_t NmsMaskWord(const A* sorted, const int64_t* classes, int64_t n, A threshold,
                                int64_t row, int64_t block) {
  const int64_t block_begin = block * kNmsBlock;
  const int64_t begin = row + 1 > block_begin ? row + 1 : block_begin;
  const int64_t end = n < block_begin + kNmsBlock ? n : block_begin + kNmsBlock;
  uint64_t word = 0;
  if (begin >= end) return word;
  const A* a = sorted + 4 * row;
  const A area_a = BoxArea(a[0], a[1], a[2], a[3]);
  for (int64_t c = begin; c < end; ++c) {
    if (classes != nullptr && classes[c] != classes[row]) continue;
    const A* b = sorted + 4 * c;
    const A iou = BoxIoU(a[0], a[1], a[2], a[3], area_a, b[0], b[1], b[2], b[3],
                         BoxArea(b[0], b[1], b[2], b[3]));
    if (iou > threshold) word |= uint64_t{1} << (c - block_begin);
  }
  return word;
}

// Thread `index` of NmsMaskThreads(chunk). Consecutive threads take
// consecutive rows of one column block, so a warp reads the same column
// boxes at once.
template <typename A>
ORT_ROI_HD void NmsMaskThread(const A* sorted, const int64_t* classes, int64_t n, A threshold,
                              const NmsChunk& chunk, uint64_t* mask, int64_t index) {
  const int64_t r = index % chunk.rows;
  const int64_t b = index / chunk.rows;
  mask[r * chunk.width + b] =
      NmsMaskWord(sorted, classes, n, threshold, chunk.row_begin + r, chunk.first_block + b);
}

// ---- greedy pass ---------------------------------------------------------

// The greedy pass over the chunk's rows, in order: a row not yet removed is
// kept (its box index order[row] appended to keep) and removes every box its
// mask row marks. `removed` (NmsColBlocks(n) words) and the count of kept
// boxes carry over from chunk to chunk.
//
// One block of kNmsReduceThreads threads runs it, 64 rows (one word) at a
// time, in three steps with a barrier between them:
// 1. threads 0..63 load the block's diagonal: word `block` of each of its
//    rows (NmsDiagonalWord); on the device, during step 3 of the block
//    before, so that the load's latency hides behind that step's;
// 2. one thread decides which of the 64 rows are kept (NmsKeptInBlock): a
//    row's fate depends only on removed[block], final once the blocks
//    before it are done, and on the diagonal words of the kept rows before
//    it, so this is the whole sequential part, on registers;
// 3. every thread (NmsApplyBlockThread) appends its kept row, if any, and
//    ORs the kept rows' words into the later words of `removed` that it
//    owns (word j: thread (j - block - 1) mod threads), loading up to
//    kNmsLoadsInFlight mask words before it ORs any, so that their latencies
//    overlap.
// A box is removed by the same rows as in the one-row-at-a-time loop, so
// the same boxes are kept in the same order. The host runs each step over
// all threads in turn (kernels/testing/host_nms.h), as the device runs them
// between its barriers.
constexpr int kNmsReduceThreads = 256;
constexpr int kNmsLoadsInFlight = 16;

// Row `block * 64 + t`'s word `block`, or 0 past the chunk's rows.
ORT_ROI_HD uint64_t NmsDiagonalWord(const uint64_t* mask, const NmsChunk& chunk, int64_t block,
                                    int64_t t) {
  const int64_t row = block * kNmsBlock + t;
  if (row >= chunk.row_begin + chunk.rows) return 0;
  return mask[(row - chunk.row_begin) * chunk.width + (block - chunk.first_block)];
}

// The chunk's rows in block `block`: 64, fewer only in the last block.
ORT_ROI_HD int64_t NmsRowsInBlock(const NmsChunk& chunk, int64_t block) {
  const int64_t end = chunk.row_begin + chunk.rows, begin = block * kNmsBlock;
  return end - begin < kNmsBlock ? end - begin : kNmsBlock;
}

// Bit t set when row block * 64 + t (t < rows, the block's rows in the
// chunk) is kept, given the block's word of `removed` and its diagonal.
ORT_ROI_HD uint64_t NmsKeptInBlock(const uint64_t* diagonal, uint64_t removed_word, int64_t rows) {
  uint64_t cur = removed_word, kept = 0;
  // No branch: the diagonal's loads do not wait for the decisions before them.
  for (int64_t t = 0; t < rows; ++t) {
    const uint64_t take = ~(cur >> t) & 1;
    kept |= take << t;
    cur |= diagonal[t] & (uint64_t{0} - take);
  }
  return kept;
}

ORT_ROI_HD int NmsPopCount(uint64_t v) {
#if defined(__CUDA_ARCH__)
  return __popcll(v);
#else
  return __builtin_popcountll(v);
#endif
}

// Thread t of `threads` after the block's rows are decided: `kept` from
// NmsKeptInBlock, `kept_before` the count of rows kept before this block.
template <int kThreads>
ORT_ROI_HD void NmsApplyBlockThread(const uint64_t* mask, const NmsChunk& chunk, int64_t block,
                                    uint64_t kept, int64_t kept_before, const int64_t* order,
                                    int64_t* keep, uint64_t* removed, int t) {
  if (t < kNmsBlock && ((kept >> t) & 1)) {
    const int64_t below = NmsPopCount(kept & ((uint64_t{1} << t) - 1));
    keep[kept_before + below] = order[block * kNmsBlock + t];
  }
  const int64_t col_blocks = chunk.first_block + chunk.width;
  // The block's first row; word j of its row u at rows[u * width + j - first_block].
  const uint64_t* rows = mask + (block * kNmsBlock - chunk.row_begin) * chunk.width;
  for (int64_t j = block + 1 + t; j < col_blocks; j += kThreads) {
    uint64_t word = removed[j];
    for (int b0 = 0; b0 < kNmsBlock; b0 += kNmsLoadsInFlight) {
      const uint64_t group = kept >> b0;
      if ((group & ((uint64_t{1} << kNmsLoadsInFlight) - 1)) == 0) continue;
      uint64_t v[kNmsLoadsInFlight];
      // Loads first, then the ORs: no load waits for another's result.
      ORT_ROI_UNROLL
      for (int u = 0; u < kNmsLoadsInFlight; ++u) {
        v[u] = ((group >> u) & 1) ? rows[(b0 + u) * chunk.width + (j - chunk.first_block)] : 0;
      }
      ORT_ROI_UNROLL
      for (int u = 0; u < kNmsLoadsInFlight; ++u) word |= v[u];
    }
    removed[j] = word;
  }
}

}  // namespace ort_roi
