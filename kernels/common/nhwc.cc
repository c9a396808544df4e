#include "common/nhwc.h"

#include <algorithm>

#include "common/cpu_isa.h"
#include "common/half.h"

namespace ort_roi {

#if ORT_ROI_X86_VARIANTS
// nhwc_avx2.cc (also used at the AVX-512 level).
void RowToChannelsLastAvx2(const float* x, int64_t channels, int64_t plane, int64_t width,
                           float* out);
void RowToChannelsLastAvx2(const double* x, int64_t channels, int64_t plane, int64_t width,
                           double* out);
#endif

namespace {

// Tiles of kTile channels x kTile pixels: a tile's source rows and its
// destination rows each fit in L1 whatever the element size.
constexpr int64_t kTile = 16;

// One row of `channels` planes (`plane` apart) to [width, channels]: the
// plain C++ reference.
template <typename T>
void RowToChannelsLastPlain(const T* x, int64_t channels, int64_t plane, int64_t width, T* out) {
  for (int64_t c0 = 0; c0 < channels; c0 += kTile) {
    const int64_t c1 = std::min(channels, c0 + kTile);
    for (int64_t w0 = 0; w0 < width; w0 += kTile) {
      const int64_t w1 = std::min(width, w0 + kTile);
      for (int64_t w = w0; w < w1; ++w) {
        for (int64_t c = c0; c < c1; ++c) out[w * channels + c] = x[c * plane + w];
      }
    }
  }
}

template <typename T>
void RowToChannelsLast(const T* x, int64_t channels, int64_t plane, int64_t width, T* out) {
#if ORT_ROI_X86_VARIANTS
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    if (ActiveIsa() != Isa::kScalar) {
      RowToChannelsLastAvx2(x, channels, plane, width, out);
      return;
    }
  }
#endif
  RowToChannelsLastPlain(x, channels, plane, width, out);
}

}  // namespace

template <typename T>
void ToChannelsLast(const T* x, int64_t images, int64_t channels, int64_t height, int64_t width,
                    int64_t c_begin, int64_t count, const unsigned char* wanted, T* out,
                    const ParallelFor& parallel_for) {
  const int64_t plane = height * width;
  parallel_for(static_cast<size_t>(images * height), [&](size_t t) {
    const int64_t n = static_cast<int64_t>(t) / height;
    const int64_t h = static_cast<int64_t>(t) % height;
    if (wanted != nullptr && wanted[n] == 0) return;
    RowToChannelsLast(x + (n * channels + c_begin) * plane + h * width, count, plane, width,
                      out + (n * height + h) * width * count);
  });
}

template void ToChannelsLast<float>(const float*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                    int64_t, const unsigned char*, float*, const ParallelFor&);
template void ToChannelsLast<double>(const double*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                     int64_t, const unsigned char*, double*, const ParallelFor&);
template void ToChannelsLast<Half>(const Half*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, const unsigned char*, Half*, const ParallelFor&);

}  // namespace ort_roi
