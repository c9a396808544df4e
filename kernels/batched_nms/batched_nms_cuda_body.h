// The per-thread bodies of BatchedNMS's CUDA kernels (see
// batched_nms_cuda.cu for their order), compiled for the device and for the
// host, whose tests run them over their whole grids
// (kernels/testing/host_grid_batched_nms.cc).
//
// The coordinate trick: boxes.max() as a two-step reduction (partial maxima,
// then one block folds them and adds 1), then each box offset by its class
// (class_offset.h, torch's rounding). The per-class paths are NMS with
// classes (nms_cuda_body.h), which keeps the boxes in descending score
// order, equal scores in index order: "per_class"'s order. Eager
// torchvision above CUDA's bound merges the classes' kept boxes with torch's
// CUDA sort, which only differs from that order for 2 to 32 kept boxes (see
// TorchCudaMergeOrder).
#pragma once

#include <cstdint>

#include "common/class_offset.h"
#include "common/half.h"
#include "common/host_device.h"

namespace ort_roi {

// ---- the coordinate trick ------------------------------------------------

// Threads of the first step of boxes.max() over `count` (> 0) values.
ORT_ROI_HD int64_t ClassMaxPartials(int64_t count) { return count < 4096 ? count : 4096; }

// Thread t of ClassMaxPartials(count): the max of values t, t + partials, ...
template <typename T>
ORT_ROI_HD void ClassMaxPartialThread(const T* values, int64_t count, int64_t partials,
                                      T* partial, int64_t t) {
  T max = values[t];
  for (int64_t i = t + partials; i < count; i += partials) max = NanMax(max, values[i]);
  partial[t] = max;
}

// The second step, one block of kClassStepThreads threads: thread t takes
// the max of partials t, t + kClassStepThreads, ... (ClassStepGatherThread),
// then the block halves the maxima to one (ClassStepFoldThread, a barrier
// between halvings), and thread 0 adds 1. NanMax's order does not matter
// here: it returns a NaN if any value is one, else the largest (of -0 and
// +0 either one, and both plus 1 are 1).
constexpr int kClassStepThreads = 256;

template <typename T>
ORT_ROI_HD T ClassStepGatherThread(const T* partial, int64_t partials, int64_t t) {
  T max = partial[t < partials ? t : 0];  // a thread past the partials repeats partial 0
  for (int64_t i = t + kClassStepThreads; i < partials; i += kClassStepThreads) {
    max = NanMax(max, partial[i]);
  }
  return max;
}

// Thread t < half of one halving: maxima[t] folds in maxima[t + half].
template <typename T>
ORT_ROI_HD void ClassStepFoldThread(T* maxima, int64_t half, int64_t t) {
  maxima[t] = NanMax(maxima[t], maxima[t + half]);
}

// Thread k of n: box k offset by its class.
template <typename T>
ORT_ROI_HD void OffsetBoxThread(const T* boxes, const int64_t* idxs, const T* step, T* shifted,
                                int64_t k) {
  OffsetBox(boxes + 4 * k, idxs[k], *step, shifted + 4 * k);
}

// ---- torch's CUDA merge --------------------------------------------------
//
// torchvision's _batched_nms_vanilla ends with
//   keep_indices = where(keep_mask)[0]                       (ascending)
//   keep_indices[scores[keep_indices].sort(descending=True)[1]]
// an unstable sort. On CUDA, torch's sortKeyValueInplace sorts a slice of 2
// to 32 elements with a bitonic network (SmallBitonicSort), which reorders
// equal scores; 33 to 128 with cub's WarpMergeSort::StableSort, up to 4096
// with cub's BlockRadixSort and beyond with cub's DeviceRadixSort, all
// stable. So beyond 32 kept boxes the merge is the stable order NMS with
// classes already gives. (torch's radix sorts order NaNs by their bits, a
// negative NaN last; we keep every NaN first, as the CPU kernel does.)

constexpr int kTorchBitonicSlots = 32;

// torch's GTOp<K, /*handleNaN=*/true>: descending, NaN above every number.
template <typename A>
ORT_ROI_HD bool TorchGreater(A a, A b) {
  return (a != a && !(b != b)) || a > b;
}

// torch's bitonicSwap: slots a < b, invalid (padding) slots sort last.
template <typename A>
ORT_ROI_HD void TorchBitonicSwap(A* key, int64_t* value, bool* valid, int a, int b, bool dir) {
  const bool swap = (TorchGreater(key[a], key[b]) && valid[a]) || !valid[b];
  if (swap != dir) return;
  const A k = key[a];
  key[a] = key[b];
  key[b] = k;
  const int64_t v = value[a];
  value[a] = value[b];
  value[b] = v;
  const bool ok = valid[a];
  valid[a] = valid[b];
  valid[b] = ok;
}

// torch's bitonicSort over 32 slots, as its 16 threads of 2 items run it:
// each stage's pairs are disjoint, so running the threads one after another
// gives what they give together.
template <typename A>
ORT_ROI_HD void TorchBitonicSort32(A* key, int64_t* value, bool* valid) {
  constexpr int kThreads = kTorchBitonicSlots / 2;
  for (int size = 2; size < kTorchBitonicSlots; size *= 2) {
    for (int stride = size / 2; stride > 0; stride /= 2) {
      for (int t = 0; t < kThreads; ++t) {
        const bool flag = (t & (size / 2)) != 0;
        const int pos = 2 * t - (t & (stride - 1));
        TorchBitonicSwap(key, value, valid, pos, pos + stride, flag);
      }
    }
  }
  for (int stride = kTorchBitonicSlots / 2; stride > 0; stride /= 2) {
    for (int t = 0; t < kThreads; ++t) {
      const int pos = 2 * t - (t & (stride - 1));
      TorchBitonicSwap(key, value, valid, pos, pos + stride, false);
    }
  }
}

// One thread: keep[0, *count), in descending score order, reordered as
// torch's CUDA sort orders the same boxes listed in index order.
template <typename T>
ORT_ROI_HD void TorchCudaMergeOrder(const T* scores, int64_t* keep, const int64_t* count) {
  using A = typename Acc<T>::type;
  const int64_t m = *count;
  if (m < 2 || m > kTorchBitonicSlots) return;
  int64_t ascending[kTorchBitonicSlots];
  for (int64_t k = 0; k < m; ++k) {  // insertion sort: where(keep_mask)'s order
    int64_t j = k;
    for (; j > 0 && ascending[j - 1] > keep[k]; --j) ascending[j] = ascending[j - 1];
    ascending[j] = keep[k];
  }
  A key[kTorchBitonicSlots];
  int64_t value[kTorchBitonicSlots];
  bool valid[kTorchBitonicSlots];
  for (int k = 0; k < kTorchBitonicSlots; ++k) {
    valid[k] = k < m;
    key[k] = valid[k] ? Load<A>(scores[ascending[k]]) : A(0);
    value[k] = valid[k] ? k : 0;
  }
  TorchBitonicSort32(key, value, valid);
  for (int64_t k = 0; k < m; ++k) keep[k] = ascending[value[k]];
}

}  // namespace ort_roi
