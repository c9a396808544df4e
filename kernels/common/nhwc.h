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

// out[n, h, w, c] = x[n, c_begin + c, h, w] for c in [0, count), for the
// pixels of the tiles marked in `tiles` ([images, ceil(height / kPixelTile),
// ceil(width / kPixelTile)], nonzero: copy; null: every pixel); the rest of
// `out` is left as it is. x is [images, channels, height, width], out
// [images, height, width, count]. Split over (image, row) tasks; each row is
// transposed in square tiles so that both sides stay in cache. T is float,
// double or Half.
template <typename T>
void ToChannelsLast(const T* x, int64_t images, int64_t channels, int64_t height, int64_t width,
                    int64_t c_begin, int64_t count, const unsigned char* tiles, T* out,
                    const ParallelFor& parallel_for);

// out[j * rows + i] = x[i * stride + j] for i < rows, j < cols: the rows x
// cols matrix at x (rows `stride` apart) transposed into out, with the
// vector level ActiveIsa() names (the same values at every level).
template <typename T>
void Transpose(const T* x, int64_t rows, int64_t stride, int64_t cols, T* out);

}  // namespace ort_roi
