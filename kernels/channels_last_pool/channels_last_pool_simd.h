// The bin loops of channels_last_pool.h written once for every vector level:
// channels_last_pool_avx2.cc and _avx512.cc each include this file inside
// their anonymous namespace, after defining Vec<T> for float, double and Half
// (the vector type V, mask type M, kLanes, Mask, Load, LoadAll, StoreAll,
// Set, Max, Add, Mul, Div, Store), so that every variant compiles its own
// private copy with its own instructions (see common/cpu_isa.h for why no
// copy may be shared). Nothing here includes a header: the variant file
// includes <cfloat>, <cstdint> and channels_last_pool.h before.
#pragma once

// Loops over u are unrolled so that the accumulators stay in registers.
// U vectors of channels from channel c on: full vectors when U > 1, the
// last (possibly partial) one when U == 1. Several accumulators in flight
// hide the latency of each one's chain.
template <int U, typename T>
void MaxChannels(const PoolBin<T>& b, int64_t c) {
  using W = Vec<T>;
  // At most one vector: a U == 1 call handles one vector of channels.
  const int64_t left = b.channels - c < W::kLanes ? b.channels - c : W::kLanes;
  const typename W::M m = W::Mask(U > 1 ? W::kLanes : left);
  typename W::V acc[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) acc[u] = W::Set(-FLT_MAX);
  for (int64_t r = 0; r < b.rows; ++r) {
    const T* px = b.first + r * b.row_stride + c;
    for (int64_t q = 0; q < b.cols; ++q, px += b.pixel_stride) {
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) acc[u] = W::Max(W::Load(m, px + u * W::kLanes), acc[u]);
    }
  }
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    W::Store(acc[u], U > 1 ? W::kLanes : left, b.out + (c + u * W::kLanes) * b.out_stride,
             b.out_stride);
  }
}

template <int U, typename T>
void MeanChannels(const PoolBin<T>& b, int64_t c) {
  using W = Vec<T>;
  // At most one vector: a U == 1 call handles one vector of channels.
  const int64_t left = b.channels - c < W::kLanes ? b.channels - c : W::kLanes;
  const typename W::M m = W::Mask(U > 1 ? W::kLanes : left);
  typename W::V acc[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) acc[u] = W::Set(0);
  for (int64_t r = 0; r < b.rows; ++r) {
    const T* px = b.first + r * b.row_stride + c;
    for (int64_t q = 0; q < b.cols; ++q, px += b.pixel_stride) {
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) acc[u] = W::Add(acc[u], W::Load(m, px + u * W::kLanes));
    }
  }
  const typename W::V area = W::Set(static_cast<typename Acc<T>::type>(b.rows * b.cols));
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    W::Store(W::Div(acc[u], area), U > 1 ? W::kLanes : left,
             b.out + (c + u * W::kLanes) * b.out_stride, b.out_stride);
  }
}

template <int U, typename T>
void WeightedChannels(const WeightedBin<T>& b, int64_t c) {
  using W = Vec<T>;
  // At most one vector: a U == 1 call handles one vector of channels.
  const int64_t left = b.channels - c < W::kLanes ? b.channels - c : W::kLanes;
  const typename W::M m = W::Mask(U > 1 ? W::kLanes : left);
  typename W::V sum[U];
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) sum[u] = W::Set(0);
  for (int64_t r = 0; r < b.rows; ++r) {
    const T* row = b.map + b.row_index[r] * b.row_stride + c;
    typename W::V row_sum[U];
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) row_sum[u] = W::Set(0);
    for (int64_t q = 0; q < b.cols; ++q) {
      const T* px = row + b.col_index[q] * b.pixel_stride;
      const typename W::V w = W::Set(b.col_weight[q]);
#pragma GCC unroll 4
      for (int u = 0; u < U; ++u) {
        row_sum[u] = W::Add(row_sum[u], W::Mul(w, W::Load(m, px + u * W::kLanes)));
      }
    }
    const typename W::V w = W::Set(b.row_weight[r]);
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) sum[u] = W::Add(sum[u], W::Mul(w, row_sum[u]));
  }
  const typename W::V count = W::Set(b.count);
#pragma GCC unroll 4
  for (int u = 0; u < U; ++u) {
    W::Store(W::Div(sum[u], count), U > 1 ? W::kLanes : left,
             b.out + (c + u * W::kLanes) * b.out_stride, b.out_stride);
  }
}

// A block wider than the registers hold: pixel by pixel, every channel of the
// pixel (a contiguous run, which the prefetchers follow), the running maxima
// in a buffer in L1. Per lane the same `v > best` sequence as MaxChannels.
template <typename T>
void MaxStreaming(const PoolBin<T>& b) {
  using W = Vec<T>;
  using A = typename Acc<T>::type;
  constexpr int64_t L = W::kLanes;
  alignas(64) A best[kPoolBinMaxChannels + L];  // whole vectors past the last channel
  const int64_t full = b.channels / L * L;
  const typename W::M tail = W::Mask(b.channels - full);
  for (int64_t c = 0; c < b.channels; c += L) W::StoreAll(W::Set(-FLT_MAX), best + c);
  for (int64_t r = 0; r < b.rows; ++r) {
    const T* px = b.first + r * b.row_stride;
    for (int64_t q = 0; q < b.cols; ++q, px += b.pixel_stride) {
      const typename W::M all = W::Mask(L);
      for (int64_t c = 0; c < full; c += L) {
        W::StoreAll(W::Max(W::Load(all, px + c), W::LoadAll(best + c)), best + c);
      }
      if (full < b.channels) {
        W::StoreAll(W::Max(W::Load(tail, px + full), W::LoadAll(best + full)), best + full);
      }
    }
  }
  for (int64_t c = 0; c < b.channels; c += L) {
    const int64_t n = b.channels - c < L ? b.channels - c : L;
    W::Store(W::LoadAll(best + c), n, b.out + c * b.out_stride, b.out_stride);
  }
}

// Every channel of bin b: four vectors at a time while they last, then one
// at a time (the last maybe partial).
template <typename T, typename Bin>
void ByVectors(const Bin& b, void (*four)(const Bin&, int64_t), void (*one)(const Bin&, int64_t)) {
  constexpr int64_t L = Vec<T>::kLanes;
  int64_t c = 0;
  for (; c + 4 * L <= b.channels; c += 4 * L) four(b, c);
  for (; c < b.channels; c += L) one(b, c);
}

template <typename T>
void MaxAll(const PoolBin<T>& b) {
  if (b.channels > 4 * Vec<T>::kLanes) {
    MaxStreaming(b);
    return;
  }
  ByVectors<T>(b, &MaxChannels<4, T>, &MaxChannels<1, T>);
}

template <typename T>
void MeanAll(const PoolBin<T>& b) {
  ByVectors<T>(b, &MeanChannels<4, T>, &MeanChannels<1, T>);
}

template <typename T>
void WeightedAll(const WeightedBin<T>& b) {
  ByVectors<T>(b, &WeightedChannels<4, T>, &WeightedChannels<1, T>);
}
