// The plain C++ bin kernels (the reference the vector variants are tested
// against), the channels-last copy, and the choice of level.
#include <algorithm>
#include <cfloat>

#include "channels_last_pool/channels_last_map.h"
#include "channels_last_pool/channels_last_pool.h"
#include "common/cpu_isa.h"

namespace ort_roi {

namespace {

template <typename T>
void MaxBinPlain(const PoolBin<T>& b) {
  using A = typename Acc<T>::type;
  for (int64_t c = 0; c < b.channels; ++c) {
    A best = static_cast<A>(-FLT_MAX);
    for (int64_t r = 0; r < b.rows; ++r) {
      for (int64_t q = 0; q < b.cols; ++q) {
        const A v = Load<A>(b.first[r * b.row_stride + q * b.pixel_stride + c]);
        if (v > best) best = v;
      }
    }
    b.out[c * b.out_stride] = Store<T>(best);
  }
}

template <typename T>
void MeanBinPlain(const PoolBin<T>& b) {
  using A = typename Acc<T>::type;
  const A area = static_cast<A>(b.rows * b.cols);
  for (int64_t c = 0; c < b.channels; ++c) {
    A sum = A(0);
    for (int64_t r = 0; r < b.rows; ++r) {
      for (int64_t q = 0; q < b.cols; ++q) {
        sum += Load<A>(b.first[r * b.row_stride + q * b.pixel_stride + c]);
      }
    }
    b.out[c * b.out_stride] = Store<T>(sum / area);
  }
}

template <typename T>
void WeightedBinPlain(const WeightedBin<T>& b) {
  using A = typename Acc<T>::type;
  for (int64_t c = 0; c < b.channels; ++c) {
    A sum = A(0);
    for (int64_t r = 0; r < b.rows; ++r) {
      const T* row = b.map + b.row_index[r] * b.row_stride + c;
      A row_sum = A(0);
      for (int64_t q = 0; q < b.cols; ++q) {
        row_sum += b.col_weight[q] * Load<A>(row[b.col_index[q] * b.pixel_stride]);
      }
      sum += b.row_weight[r] * row_sum;
    }
    b.out[c * b.out_stride] = Store<T>(sum / b.count);
  }
}

// Picks the variant of ActiveIsa() among the three given.
template <typename Fn>
Fn Pick(Fn plain, Fn avx2, Fn avx512) {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512: return avx512;
    case Isa::kAvx2: return avx2;
    case Isa::kScalar: break;
  }
#else
  (void)avx2;
  (void)avx512;
#endif
  return plain;
}

// Pixels per task of the copy: 64 pixels of every channel stay within L2.
constexpr int64_t kCopyPixels = 64;
// Destination channels written together (CopyTile's 8).
constexpr int64_t kCopyChannels = 8;

}  // namespace

#if !ORT_ROI_X86_VARIANTS
// Never called (Pick returns the plain kernel); defined so that the build links.
void CopyTileAvx2(const CopyTile<float>&) {}
void CopyTileAvx2(const CopyTile<Half>&) {}
#define ORT_ROI_NO_VARIANT(name, job) \
  void name(const job&) {}
ORT_ROI_NO_VARIANT(MaxBinAvx2, PoolBin<float>)
ORT_ROI_NO_VARIANT(MaxBinAvx2, PoolBin<double>)
ORT_ROI_NO_VARIANT(MaxBinAvx2, PoolBin<Half>)
ORT_ROI_NO_VARIANT(MeanBinAvx2, PoolBin<float>)
ORT_ROI_NO_VARIANT(MeanBinAvx2, PoolBin<double>)
ORT_ROI_NO_VARIANT(MeanBinAvx2, PoolBin<Half>)
ORT_ROI_NO_VARIANT(WeightedBinAvx2, WeightedBin<float>)
ORT_ROI_NO_VARIANT(WeightedBinAvx2, WeightedBin<double>)
ORT_ROI_NO_VARIANT(WeightedBinAvx2, WeightedBin<Half>)
ORT_ROI_NO_VARIANT(MaxBinAvx512, PoolBin<float>)
ORT_ROI_NO_VARIANT(MaxBinAvx512, PoolBin<double>)
ORT_ROI_NO_VARIANT(MaxBinAvx512, PoolBin<Half>)
ORT_ROI_NO_VARIANT(MeanBinAvx512, PoolBin<float>)
ORT_ROI_NO_VARIANT(MeanBinAvx512, PoolBin<double>)
ORT_ROI_NO_VARIANT(MeanBinAvx512, PoolBin<Half>)
ORT_ROI_NO_VARIANT(WeightedBinAvx512, WeightedBin<float>)
ORT_ROI_NO_VARIANT(WeightedBinAvx512, WeightedBin<double>)
ORT_ROI_NO_VARIANT(WeightedBinAvx512, WeightedBin<Half>)
#undef ORT_ROI_NO_VARIANT
#endif

template <typename T>
void (*CopyTileKernel())(const CopyTile<T>&) {
  return nullptr;
}

template <>
void (*CopyTileKernel<float>())(const CopyTile<float>&) {
  using Fn = void (*)(const CopyTile<float>&);
  return Pick<Fn>(nullptr, &CopyTileAvx2, &CopyTileAvx2);
}

template <>
void (*CopyTileKernel<Half>())(const CopyTile<Half>&) {
  using Fn = void (*)(const CopyTile<Half>&);
  return Pick<Fn>(nullptr, &CopyTileAvx2, &CopyTileAvx2);
}

template <typename T>
PoolBinFn<T> MaxBinKernel() {
  return Pick<PoolBinFn<T>>(&MaxBinPlain<T>, &MaxBinAvx2, &MaxBinAvx512);
}

template <typename T>
PoolBinFn<T> MeanBinKernel() {
  return Pick<PoolBinFn<T>>(&MeanBinPlain<T>, &MeanBinAvx2, &MeanBinAvx512);
}

template <typename T>
WeightedBinFn<T> WeightedBinKernel() {
  return Pick<WeightedBinFn<T>>(&WeightedBinPlain<T>, &WeightedBinAvx2, &WeightedBinAvx512);
}

template <typename T>
void ToChannelsLast(const T* x, const RoIPoolingShape& s, int64_t bins, T* out,
                    const ParallelFor& parallel_for) {
  const int64_t plane = s.height * s.width;
  const int64_t per_bin = s.channels / bins;
  const int64_t tiles = (plane + kCopyPixels - 1) / kCopyPixels;
  T* dst_all = out;
  void (*const copy_tile)(const CopyTile<T>&) = CopyTileKernel<T>();
  parallel_for(static_cast<size_t>(s.batch * tiles), [&](size_t t) {
    const int64_t n = static_cast<int64_t>(t) / tiles;
    const int64_t p0 = (static_cast<int64_t>(t) % tiles) * kCopyPixels;
    const int64_t p1 = std::min(plane, p0 + kCopyPixels);
    const T* src = x + n * s.channels * plane;
    T* dst = dst_all + n * plane * s.channels;
    const T* planes[kCopyChannels];
    for (int64_t j0 = 0; j0 < s.channels; j0 += kCopyChannels) {
      const int64_t m = std::min(kCopyChannels, s.channels - j0);
      for (int64_t j = 0; j < m; ++j) {
        // Position j0 + j holds bin b of output channel c.
        const int64_t b = (j0 + j) / per_bin, c = (j0 + j) % per_bin;
        planes[j] = src + (c * bins + b) * plane + p0;
      }
      if (m == kCopyChannels && copy_tile != nullptr) {
        copy_tile(CopyTile<T>{planes, p1 - p0, dst + p0 * s.channels + j0, s.channels});
        continue;
      }
      for (int64_t p = p0; p < p1; ++p) {
        T* d = dst + p * s.channels + j0;
        for (int64_t j = 0; j < m; ++j) d[j] = planes[j][p - p0];
      }
    }
  });
}

template void (*CopyTileKernel<double>())(const CopyTile<double>&);

#define ORT_ROI_INSTANTIATE(T)                                                           \
  template PoolBinFn<T> MaxBinKernel<T>();                                               \
  template PoolBinFn<T> MeanBinKernel<T>();                                              \
  template WeightedBinFn<T> WeightedBinKernel<T>();                                      \
  template void ToChannelsLast<T>(const T*, const RoIPoolingShape&, int64_t, T*,         \
                                  const ParallelFor&);
ORT_ROI_INSTANTIATE(float)
ORT_ROI_INSTANTIATE(double)
ORT_ROI_INSTANTIATE(Half)
#undef ORT_ROI_INSTANTIATE

}  // namespace ort_roi
