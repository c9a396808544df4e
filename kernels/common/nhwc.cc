#include "common/nhwc.h"

#include <algorithm>

#include "common/cpu_isa.h"
#include "common/half.h"

namespace ort_roi {

#if ORT_ROI_X86_VARIANTS
// nhwc_avx2.cc (also used at the AVX-512 level: the copies are bound by
// memory, not by vector width).
void TransposeAvx2(const float* x, int64_t rows, int64_t stride, int64_t cols, float* out,
                   int64_t out_stride);
void TransposeAvx2(const double* x, int64_t rows, int64_t stride, int64_t cols, double* out,
                   int64_t out_stride);
void TransposeAvx2(const Half* x, int64_t rows, int64_t stride, int64_t cols, Half* out,
                   int64_t out_stride);
void CopyStreamingAvx2(const unsigned char* src, int64_t bytes, unsigned char* dst);
#endif

namespace {

// Tiles of kTile x kTile: a tile's source rows and its destination rows
// each fit in L1 whatever the element size.
constexpr int64_t kTile = 16;

// The plain C++ reference of Transpose.
template <typename T>
void TransposePlain(const T* x, int64_t rows, int64_t stride, int64_t cols, T* out,
                    int64_t out_stride) {
  for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
    const int64_t i1 = std::min(rows, i0 + kTile);
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t j1 = std::min(cols, j0 + kTile);
      for (int64_t j = j0; j < j1; ++j) {
        for (int64_t i = i0; i < i1; ++i) out[j * out_stride + i] = x[i * stride + j];
      }
    }
  }
}

}  // namespace

template <typename T>
void Transpose(const T* x, int64_t rows, int64_t stride, int64_t cols, T* out, int64_t out_stride) {
#if ORT_ROI_X86_VARIANTS
  if (ActiveIsa() != Isa::kScalar) {
    TransposeAvx2(x, rows, stride, cols, out, out_stride);
    return;
  }
#endif
  TransposePlain(x, rows, stride, cols, out, out_stride);
}

template <typename T>
void CopyStreaming(const T* src, int64_t n, T* dst) {
#if ORT_ROI_X86_VARIANTS
  if (ActiveIsa() != Isa::kScalar) {
    CopyStreamingAvx2(reinterpret_cast<const unsigned char*>(src), n * static_cast<int64_t>(sizeof(T)),
                      reinterpret_cast<unsigned char*>(dst));
    return;
  }
#endif
  std::copy(src, src + n, dst);
}

template <typename T>
void ToChannelsLast(const T* x, int64_t images, int64_t channels, int64_t height, int64_t width,
                    int64_t c_begin, int64_t c_end, int64_t block, const unsigned char* tiles,
                    T* out, const ParallelFor& parallel_for) {
  const int64_t plane = height * width;
  const int64_t tiles_y = (height + kPixelTile - 1) / kPixelTile;
  const int64_t tiles_x = (width + kPixelTile - 1) / kPixelTile;
  parallel_for(static_cast<size_t>(images * height), [&](size_t t) {
    const int64_t n = static_cast<int64_t>(t) / height;
    const int64_t h = static_cast<int64_t>(t) % height;
    const unsigned char* marked =
        tiles == nullptr ? nullptr : tiles + (n * tiles_y + h / kPixelTile) * tiles_x;
    for (int64_t c = c_begin; c < c_end; c += block) {
      const int64_t count = std::min(block, c_end - c);
      const T* row = x + (n * channels + c) * plane + h * width;
      T* row_out = out + (c - c_begin) / block * images * plane * block +
                   (n * height + h) * width * count;
      // Each run of marked tiles of row h, its `count` planes transposed:
      // [run width, count].
      for (int64_t i = 0; i < tiles_x;) {
        if (marked != nullptr && marked[i] == 0) {
          ++i;
          continue;
        }
        int64_t j = i + 1;
        while (j < tiles_x && (marked == nullptr || marked[j] != 0)) ++j;
        const int64_t x0 = i * kPixelTile, x1 = std::min(width, j * kPixelTile);
        Transpose(row + x0, count, plane, x1 - x0, row_out + x0 * count, count);
        i = j;
      }
    }
  });
}

template void Transpose<float>(const float*, int64_t, int64_t, int64_t, float*, int64_t);
template void Transpose<double>(const double*, int64_t, int64_t, int64_t, double*, int64_t);
template void Transpose<Half>(const Half*, int64_t, int64_t, int64_t, Half*, int64_t);
template void CopyStreaming<float>(const float*, int64_t, float*);
template void CopyStreaming<double>(const double*, int64_t, double*);
template void CopyStreaming<Half>(const Half*, int64_t, Half*);
template void ToChannelsLast<float>(const float*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                    int64_t, int64_t, const unsigned char*, float*, const ParallelFor&);
template void ToChannelsLast<double>(const double*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                     int64_t, int64_t, const unsigned char*, double*, const ParallelFor&);
template void ToChannelsLast<Half>(const Half*, int64_t, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, int64_t, const unsigned char*, Half*, const ParallelFor&);

}  // namespace ort_roi
