// Orders that torch's sorts give, computed with a stable radix sort: the
// NMS kernels sort thousands of keys per call, and comparison sorts of
// (score, index) pairs were a large share of their time.
#pragma once

#include <cstdint>
#include <vector>

namespace ort_roi {

// order[r] = the position in `scores` of the r-th box of torch.sort(scores,
// descending=True, stable=True): NaN above every number, -0 equal to +0,
// equal scores in position order (ScoreOrder in nms.h, stably sorted).
void StableScoreOrder(const float* scores, int64_t count, std::vector<int64_t>* order);
void StableScoreOrder(const double* scores, int64_t count, std::vector<int64_t>* order);

// True when two of the scores are equal under that order (both NaN, or equal
// numbers), given `order` from StableScoreOrder: only then can an unstable
// sort's order differ from the stable one.
bool HasScoreTies(const float* scores, const std::vector<int64_t>& order);
bool HasScoreTies(const double* scores, const std::vector<int64_t>& order);

// Reorders `positions` (ascending on entry) by descending score as torch's
// unstable CPU sort does: std::sort over (score, position) pairs compared by
// ScoreOrder. std::sort's result depends only on the comparisons' outcomes,
// so this sorts integer keys that compare as the scores do, with the same
// std::sort, and gives the same permutation, equal scores included.
void TorchUnstableScoreOrder(const float* scores, std::vector<int64_t>* positions);
void TorchUnstableScoreOrder(const double* scores, std::vector<int64_t>* positions);

// order[r] = the position of the r-th label in ascending order, equal labels
// in position order (std::stable_sort by label).
void StableLabelOrder(const int64_t* labels, int64_t count, std::vector<int64_t>* order);

}  // namespace ort_roi
