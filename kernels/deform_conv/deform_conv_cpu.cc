// DeformConv2d on the CPU: deformable im2col, then a grouped GEMM.
//
// Output positions of all images are numbered q = n * Ho * Wo + p and handled
// in chunks, so the column matrix ([Cin * kh * kw, chunk]) stays a few MiB
// however large the map or batch, while small maps still give the GEMM wide
// chunks. Per chunk:
// 1. taps: the bilinear corners and weights of every (offset group, kernel
//    tap, position), computed once because all Cin / offset_group channels
//    of an offset group sample the same points;
// 2. columns: every channel applies its group's taps (times the mask);
// 3. GEMM: per group, W_g [Cout / group, Cin / group * kh * kw] times the
//    group's rows of the columns, written to Y with the bias added.
// Each step splits its work across the thread pool.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "common/gemm.h"
#include "common/half.h"
#include "deform_conv/deform_conv.h"
#include "deform_conv/deform_conv_taps.h"

namespace ort_roi {

namespace {

// Scratch (columns and taps) per chunk. Large enough that a chunk gives the
// GEMM many tiles to share out, small enough to stay in the last-level cache.
constexpr int64_t kChunkBytes = 16 << 20;
constexpr int64_t kPositionsPerTask = 256;
constexpr int64_t kChannelsPerTask = 16;
constexpr int64_t kWidenPerTask = 1 << 16;

int64_t Blocks(int64_t n, int64_t per_block) { return (n + per_block - 1) / per_block; }

// `data` as the accumulation type: itself, or for float16 a widened copy kept
// in `store`, so the sampling and GEMM loops never convert.
template <typename A, typename T>
const A* Widen(const T* data, int64_t count, std::vector<A>* store, const ParallelFor& parallel_for) {
  if constexpr (std::is_same_v<A, T>) {
    return data;
  } else {
    store->resize(static_cast<size_t>(count));
    A* out = store->data();
    parallel_for(static_cast<size_t>(Blocks(count, kWidenPerTask)), [&](size_t task) {
      const int64_t begin = static_cast<int64_t>(task) * kWidenPerTask;
      const int64_t end = std::min(count, begin + kWidenPerTask);
      for (int64_t i = begin; i < end; ++i) out[i] = Load<A>(data[i]);
    });
    return out;
  }
}

// Output positions per chunk: what fits kChunkBytes, rounded to whole GEMM
// column tiles (or micro-panels) when it is not the whole output.
template <typename A>
int64_t ChunkSize(int64_t total, int64_t column_rows, int64_t tap_rows) {
  const int64_t per_position =
      column_rows * static_cast<int64_t>(sizeof(A)) +
      tap_rows * static_cast<int64_t>(sizeof(DeformTap<A>) + sizeof(A));
  int64_t chunk = std::max<int64_t>(kChunkBytes / std::max<int64_t>(per_position, 1), 1);
  if (chunk >= total) return total;
  for (int64_t step : {GemmBlocking<A>::kNc, GemmBlocking<A>::kNr}) {
    if (chunk >= step) return chunk / step * step;
  }
  return chunk;
}

template <typename T>
struct Inputs {
  using A = typename Acc<T>::type;
  const A* x;
  const A* w;
  const T* offset;
  const T* bias;
  const T* mask;
};

// Step 1: taps[r * len + q] and masks[r * len + q] for tap row r = g * kh * kw
// + i * kw + j (offset group g, kernel tap (i, j)) and chunk position q.
template <typename T, typename A = typename Acc<T>::type>
void ComputeTaps(const DeformConvShape& s, const Inputs<T>& in, int64_t q0, int64_t len,
                 DeformTap<A>* taps, A* masks, const ParallelFor& parallel_for) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t tap_rows = s.offset_group * s.kernel_h * s.kernel_w;
  const int64_t image = s.in_channels * s.height * s.width;
  const int64_t blocks = Blocks(len, kPositionsPerTask);
  parallel_for(static_cast<size_t>(tap_rows * blocks), [&](size_t task) {
    const int64_t r = static_cast<int64_t>(task) / blocks;
    const int64_t begin = (static_cast<int64_t>(task) % blocks) * kPositionsPerTask;
    const int64_t end = std::min(len, begin + kPositionsPerTask);
    for (int64_t q = begin; q < end; ++q) {
      const int64_t n = (q0 + q) / positions, p = (q0 + q) % positions;
      DeformTap<A> t = DeformConvTap(s, in.offset, n, r, p);
      for (int k = 0; k < 4; ++k) {
        if (t.index[k] >= 0) t.index[k] += n * image;  // relative to X's channel c of image 0
      }
      taps[r * len + q] = t;
      masks[r * len + q] = DeformConvMask(s, in.mask, n, r, p);
    }
  });
}

// Step 2: columns[(c * kh * kw + tap) * len + q], torchvision's
// mask * bilinear(X[n, c], y, x).
template <typename T, typename A = typename Acc<T>::type>
void ComputeColumns(const DeformConvShape& s, const Inputs<T>& in, int64_t len,
                    const DeformTap<A>* taps, const A* masks, A* columns,
                    const ParallelFor& parallel_for) {
  const int64_t taps_per_group = s.kernel_h * s.kernel_w;
  const int64_t channels_per_group = s.in_channels / s.offset_group;
  const int64_t plane = s.height * s.width;
  const int64_t blocks = Blocks(len, kPositionsPerTask);
  // Channels inner: one task reuses its positions' taps for many channels.
  parallel_for(static_cast<size_t>(blocks * Blocks(s.in_channels, kChannelsPerTask)), [&](size_t task) {
    const int64_t begin = (static_cast<int64_t>(task) % blocks) * kPositionsPerTask;
    const int64_t end = std::min(len, begin + kPositionsPerTask);
    const int64_t c_begin = (static_cast<int64_t>(task) / blocks) * kChannelsPerTask;
    const int64_t c_end = std::min(s.in_channels, c_begin + kChannelsPerTask);
    for (int64_t c = c_begin; c < c_end; ++c) {
      const A* channel = in.x + c * plane;
      const int64_t first_row = (c / channels_per_group) * taps_per_group;
      for (int64_t tap = 0; tap < taps_per_group; ++tap) {
        const DeformTap<A>* t = taps + (first_row + tap) * len;
        const A* m = masks + (first_row + tap) * len;
        A* out = columns + (c * taps_per_group + tap) * len;
        for (int64_t q = begin; q < end; ++q) out[q] = m[q] * SampleDeformTap(t[q], channel);
      }
    }
  });
}

// Step 3: Y[n, oc, p] = sum_k W[oc, k] * columns[g rows][q] + B[oc].
template <typename T, typename A = typename Acc<T>::type>
void MultiplyColumns(const DeformConvShape& s, const Inputs<T>& in, int64_t q0, int64_t len,
                     const A* columns, T* y, const ParallelFor& parallel_for) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t out_per_group = s.out_channels / s.group;
  const int64_t k = s.in_channels / s.group * s.kernel_h * s.kernel_w;
  const int64_t tiles = GemmTileCount<A>(out_per_group, len);
  parallel_for(static_cast<size_t>(s.group * tiles), [&](size_t task) {
    const int64_t g = static_cast<int64_t>(task) / tiles;
    const GemmOperands<A> op{out_per_group, len, k, in.w + g * out_per_group * k, k,
                             columns + g * k * len, len};
    GemmTile(op, static_cast<int64_t>(task) % tiles, [&](int64_t row, int64_t col, const A* v, int64_t count) {
      const int64_t oc = g * out_per_group + row;
      const A b = in.bias != nullptr ? Load<A>(in.bias[oc]) : A(0);
      const int64_t n = (q0 + col) / positions;
      int64_t p = (q0 + col) % positions;
      int64_t base = (n * s.out_channels + oc) * positions;
      for (int64_t j = 0; j < count; ++j) {
        // torchvision adds the bias after the product (no bias: adds zero).
        y[base + p] = Store<T>(v[j] + b);
        if (++p == positions) {  // the chunk runs on into the next image
          p = 0;
          base += s.out_channels * positions;
        }
      }
    });
  });
}

}  // namespace

template <typename T>
void DeformConvCpu(const DeformConvShape& s, const T* x, const T* w, const T* offset, const T* bias,
                   const T* mask, T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t total = s.batch * s.out_height * s.out_width;
  if (total == 0 || s.out_channels == 0) return;
  const int64_t column_rows = s.in_channels * s.kernel_h * s.kernel_w;
  const int64_t tap_rows = s.offset_group * s.kernel_h * s.kernel_w;

  std::vector<A> x_store, w_store;
  Inputs<T> in;
  in.x = Widen(x, s.batch * s.in_channels * s.height * s.width, &x_store, parallel_for);
  in.w = Widen(w, s.out_channels * (column_rows / s.group), &w_store, parallel_for);
  in.offset = offset;
  in.bias = bias;
  in.mask = mask;

  const int64_t chunk = ChunkSize<A>(total, column_rows, tap_rows);
  std::vector<A> columns(static_cast<size_t>(column_rows * chunk));
  std::vector<DeformTap<A>> taps(static_cast<size_t>(tap_rows * chunk));
  std::vector<A> masks(static_cast<size_t>(tap_rows * chunk));
  for (int64_t q0 = 0; q0 < total; q0 += chunk) {
    const int64_t len = std::min(chunk, total - q0);
    ComputeTaps(s, in, q0, len, taps.data(), masks.data(), parallel_for);
    ComputeColumns(s, in, len, taps.data(), masks.data(), columns.data(), parallel_for);
    MultiplyColumns(s, in, q0, len, columns.data(), y, parallel_for);
  }
}

template void DeformConvCpu<float>(const DeformConvShape&, const float*, const float*, const float*,
                                   const float*, const float*, float*, const ParallelFor&);
template void DeformConvCpu<double>(const DeformConvShape&, const double*, const double*,
                                    const double*, const double*, const double*, double*,
                                    const ParallelFor&);
template void DeformConvCpu<Half>(const DeformConvShape&, const Half*, const Half*, const Half*,
                                  const Half*, const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
