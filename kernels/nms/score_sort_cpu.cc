// Stable sorts by score or label through unsigned keys whose ascending order
// is the order wanted, so that one least-significant-digit radix sort serves
// float, double and int64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "nms/score_sort.h"

namespace ort_roi {

namespace {

// Descending score as an ascending key: NaN lowest (first), -0 as +0.
uint32_t DescendingKey(float f) {
  if (std::isnan(f)) return 0;
  if (f == 0.f) f = 0.f;
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  const uint32_t ascending = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  // Numbers map to [0x007FFFFF, 0xFF800000]: never 0, NaN's key.
  return ~ascending;
}
uint64_t DescendingKey(double f) {
  if (std::isnan(f)) return 0;
  if (f == 0.0) f = 0.0;
  uint64_t u;
  std::memcpy(&u, &f, sizeof u);
  const uint64_t sign = uint64_t{1} << 63;
  const uint64_t ascending = (u & sign) ? ~u : (u | sign);
  return ~ascending;
}

// Below this many keys a comparison sort is cheaper than the histograms.
constexpr int64_t kRadixMin = 256;

// Sorts (keys[i], i) by key, stably, into order. Eight-bit digits, all
// histograms in one pass; a digit every key shares costs no pass.
template <typename Key>
void StableKeyOrder(std::vector<Key>* keys, std::vector<int64_t>* order) {
  const int64_t n = static_cast<int64_t>(keys->size());
  order->resize(n);
  if (n < kRadixMin || n > std::numeric_limits<uint32_t>::max()) {
    std::vector<std::pair<Key, int64_t>> pairs(n);
    for (int64_t i = 0; i < n; ++i) pairs[i] = {(*keys)[i], i};
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (int64_t i = 0; i < n; ++i) (*order)[i] = pairs[i].second;
    return;
  }
  constexpr int kDigits = sizeof(Key);
  std::vector<uint32_t> counts(kDigits * 256, 0);
  for (const Key k : *keys) {
    for (int d = 0; d < kDigits; ++d) ++counts[d * 256 + ((k >> (8 * d)) & 255)];
  }
  std::vector<uint32_t> pos(n), pos_out(n);
  for (int64_t i = 0; i < n; ++i) pos[i] = static_cast<uint32_t>(i);
  std::vector<Key> keys_out(n);
  for (int d = 0; d < kDigits; ++d) {
    uint32_t* count = &counts[d * 256];
    if (count[((*keys)[0] >> (8 * d)) & 255] == n) continue;
    uint32_t next = 0;
    for (int b = 0; b < 256; ++b) next += std::exchange(count[b], next);
    for (int64_t i = 0; i < n; ++i) {
      const Key k = (*keys)[i];
      const uint32_t to = count[(k >> (8 * d)) & 255]++;
      keys_out[to] = k;
      pos_out[to] = pos[i];
    }
    keys->swap(keys_out);
    pos.swap(pos_out);
  }
  for (int64_t i = 0; i < n; ++i) (*order)[i] = pos[i];
}

template <typename A>
void ScoreOrderOf(const A* scores, int64_t count, std::vector<int64_t>* order) {
  std::vector<decltype(DescendingKey(A()))> keys(count);
  for (int64_t i = 0; i < count; ++i) keys[i] = DescendingKey(scores[i]);
  StableKeyOrder(&keys, order);
}

template <typename A>
bool TiesOf(const A* scores, const std::vector<int64_t>& order) {
  for (size_t r = 1; r < order.size(); ++r) {
    if (DescendingKey(scores[order[r - 1]]) == DescendingKey(scores[order[r]])) return true;
  }
  return false;
}

// The key in the high half, the position in the low half, compared by key alone.
template <typename A>
void UnstableOrderOf(const A* scores, std::vector<int64_t>* positions) {
  using Key = decltype(DescendingKey(A()));
  const size_t n = positions->size();
  if constexpr (sizeof(Key) == 4) {
    if (n <= std::numeric_limits<uint32_t>::max()) {
      std::vector<uint64_t> packed(n);
      for (size_t i = 0; i < n; ++i) {
        const int64_t k = (*positions)[i];
        packed[i] = (uint64_t{DescendingKey(scores[k])} << 32) | static_cast<uint32_t>(k);
      }
      std::sort(packed.begin(), packed.end(),
                [](uint64_t a, uint64_t b) { return (a >> 32) < (b >> 32); });
      for (size_t i = 0; i < n; ++i) (*positions)[i] = int64_t(packed[i] & 0xFFFFFFFFu);
      return;
    }
  }
  std::vector<std::pair<Key, int64_t>> pairs(n);
  for (size_t i = 0; i < n; ++i) {
    pairs[i] = {DescendingKey(scores[(*positions)[i]]), (*positions)[i]};
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < n; ++i) (*positions)[i] = pairs[i].second;
}

}  // namespace

void TorchUnstableScoreOrder(const float* scores, std::vector<int64_t>* positions) {
  UnstableOrderOf(scores, positions);
}
void TorchUnstableScoreOrder(const double* scores, std::vector<int64_t>* positions) {
  UnstableOrderOf(scores, positions);
}

void StableScoreOrder(const float* scores, int64_t count, std::vector<int64_t>* order) {
  ScoreOrderOf(scores, count, order);
}
void StableScoreOrder(const double* scores, int64_t count, std::vector<int64_t>* order) {
  ScoreOrderOf(scores, count, order);
}

bool HasScoreTies(const float* scores, const std::vector<int64_t>& order) {
  return TiesOf(scores, order);
}
bool HasScoreTies(const double* scores, const std::vector<int64_t>& order) {
  return TiesOf(scores, order);
}

void StableLabelOrder(const int64_t* labels, int64_t count, std::vector<int64_t>* order) {
  std::vector<uint64_t> keys(count);
  // Flipping the sign bit orders two's complement as unsigned.
  const uint64_t sign = uint64_t{1} << 63;
  for (int64_t i = 0; i < count; ++i) keys[i] = static_cast<uint64_t>(labels[i]) ^ sign;
  StableKeyOrder(&keys, order);
}

}  // namespace ort_roi
