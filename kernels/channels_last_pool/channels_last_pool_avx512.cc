// AVX-512 bin kernels of channels_last_pool.h: 16 float lanes (float16 is
// widened to float on load, as Load<float> does), 8 double lanes, masked
// loads for the last channels. Per lane, the same operations in the same
// order as the plain kernels in channels_last_pool_cpu.cc. Built with
// -mavx512f/bw/dq/vl; see common/cpu_isa.h for what this file may use.
#include <immintrin.h>

#include <cfloat>
#include <cstdint>

#include "channels_last_pool/channels_last_pool.h"

// GCC 12's own AVX-512 headers fill unused operands with _mm512_undefined_*,
// which -W(maybe-)uninitialized reports once inlined here; not our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace ort_roi {
namespace {

template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int64_t kLanes = 16;
  static M Mask(int64_t n) { return n >= 16 ? M(0xffff) : M((1u << n) - 1u); }
  static V Load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V Set(float a) { return _mm512_set1_ps(a); }
  static V LoadAll(const float* p) { return _mm512_loadu_ps(p); }
  static void StoreAll(V v, float* p) { _mm512_storeu_ps(p, v); }
  // Keeps `best` unless v > best: torchvision's `if (v > best) best = v`.
  static V Max(V v, V best) { return _mm512_max_ps(v, best); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static void Store(V v, int64_t n, float* out, int64_t stride) {
    if (stride == 1 && n == 16) return _mm512_storeu_ps(out, v);
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

template <>
struct Vec<Half> : Vec<float> {
  static V Load(M m, const Half* p) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
  static void Store(V v, int64_t n, Half* out, int64_t stride) {
    __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // FloatToHalf writes every NaN as sign | 0x7e00; the instruction keeps
    // payload bits.
    const __m256i quiet = _mm256_or_si256(_mm256_and_si256(h, _mm256_set1_epi16(-0x8000)),
                                          _mm256_set1_epi16(0x7e00));
    h = _mm256_mask_blend_epi16(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), h, quiet);
    if (stride == 1 && n == 16) return _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), h);
    alignas(32) uint16_t t[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), h);
    for (int64_t i = 0; i < n; ++i) out[i * stride].bits = t[i];
  }
};

template <>
struct Vec<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int64_t kLanes = 8;
  static M Mask(int64_t n) { return n >= 8 ? M(0xff) : M((1u << n) - 1u); }
  static V Load(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static V Set(double a) { return _mm512_set1_pd(a); }
  static V LoadAll(const double* p) { return _mm512_loadu_pd(p); }
  static void StoreAll(V v, double* p) { _mm512_storeu_pd(p, v); }
  static V Max(V v, V best) { return _mm512_max_pd(v, best); }
  static V Add(V a, V b) { return _mm512_add_pd(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V Div(V a, V b) { return _mm512_div_pd(a, b); }
  static void Store(V v, int64_t n, double* out, int64_t stride) {
    if (stride == 1 && n == 8) return _mm512_storeu_pd(out, v);
    alignas(64) double t[8];
    _mm512_store_pd(t, v);
    for (int64_t i = 0; i < n; ++i) out[i * stride] = t[i];
  }
};

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

template <typename T>
void MaxAll(const PoolBin<T>& b) {
  constexpr int64_t L = Vec<T>::kLanes;
  if (b.channels > 4 * L) {
    MaxStreaming(b);
    return;
  }
  int64_t c = 0;
  for (; c + 4 * L <= b.channels; c += 4 * L) MaxChannels<4>(b, c);
  for (; c < b.channels; c += L) MaxChannels<1>(b, c);
}

template <typename T>
void MeanAll(const PoolBin<T>& b) {
  constexpr int64_t L = Vec<T>::kLanes;
  int64_t c = 0;
  for (; c + 4 * L <= b.channels; c += 4 * L) MeanChannels<4>(b, c);
  for (; c < b.channels; c += L) MeanChannels<1>(b, c);
}

template <typename T>
void WeightedAll(const WeightedBin<T>& b) {
  constexpr int64_t L = Vec<T>::kLanes;
  int64_t c = 0;
  for (; c + 4 * L <= b.channels; c += 4 * L) WeightedChannels<4>(b, c);
  for (; c < b.channels; c += L) WeightedChannels<1>(b, c);
}

}  // namespace

void MaxBinAvx512(const PoolBin<float>& b) { MaxAll(b); }
void MaxBinAvx512(const PoolBin<double>& b) { MaxAll(b); }
void MaxBinAvx512(const PoolBin<Half>& b) { MaxAll(b); }
void MeanBinAvx512(const PoolBin<float>& b) { MeanAll(b); }
void MeanBinAvx512(const PoolBin<double>& b) { MeanAll(b); }
void MeanBinAvx512(const PoolBin<Half>& b) { MeanAll(b); }
void WeightedBinAvx512(const WeightedBin<float>& b) { WeightedAll(b); }
void WeightedBinAvx512(const WeightedBin<double>& b) { WeightedAll(b); }
void WeightedBinAvx512(const WeightedBin<Half>& b) { WeightedAll(b); }

}  // namespace ort_roi
