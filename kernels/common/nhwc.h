// Channels-last copies of part of an NCHW feature map, for the CPU roi
// kernels: with the channels innermost, one bilinear tap reads a run of
// contiguous values that vector registers add across channels, instead of
// one value per plane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "parallel.h"

namespace ort_roi {

// Host memory for a call's scratch, valid until the kernel returns. The ORT
// binding hands out its allocator's (an arena reused across runs: no fresh
// pages to fault in on every call); when empty, kernels use new[].
using HostScratch = std::function<void*(size_t bytes)>;

// `count` elements of T from `scratch`, or from new[] kept in `owned`.
template <typename T>
T* TakeHostScratch(const HostScratch& scratch, size_t count, std::unique_ptr<T[]>* owned) {
  if (scratch) {
    if (void* p = scratch(count * sizeof(T))) return static_cast<T*>(p);
  }
  owned->reset(new T[count]);
  return owned->get();
}

// Pixel tiles of ToChannelsLast's `tiles` are kPixelTile x kPixelTile.
constexpr int64_t kPixelTile = 16;

// Channels [c_begin, c_end) of x ([images, channels, height, width]) to
// channels-last blocks of `block` channels (the last maybe narrower, wb):
// block j at out + j * images * height * width * block, as [images, height,
// width, wb]. Only the pixels of the tiles marked in `tiles` ([images,
// ceil(height / kPixelTile), ceil(width / kPixelTile)], nonzero: copy; null:
// every pixel) are written. Split over (image, row) tasks; each row is
// transposed in square tiles so that both sides stay in cache. T is float,
// double or Half.
template <typename T>
void ToChannelsLast(const T* x, int64_t images, int64_t channels, int64_t height, int64_t width,
                    int64_t c_begin, int64_t c_end, int64_t block, const unsigned char* tiles,
                    T* out, const ParallelFor& parallel_for);

// out[j * out_stride + i] = x[i * stride + j] for i < rows, j < cols: the
// rows x cols matrix at x (rows `stride` apart) transposed into out (rows
// `out_stride` >= rows apart), with the vector level ActiveIsa() names (the
// same values at every level).
template <typename T>
void Transpose(const T* x, int64_t rows, int64_t stride, int64_t cols, T* out, int64_t out_stride);

// n values from src to dst, with non-temporal stores where the vector level
// has them: for an output too large to stay in cache, whose lines such
// stores need not read before writing them. The same values at every level.
template <typename T>
void CopyStreaming(const T* src, int64_t n, T* dst);

}  // namespace ort_roi
