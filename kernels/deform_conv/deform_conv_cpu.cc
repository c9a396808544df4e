// DeformConv2d on the CPU: deformable im2col, then a grouped GEMM.
//
// Output positions of all images are numbered q = n * Ho * Wo + p and handled
// in chunks, so that the column matrix ([Cin * kh * kw, chunk]) takes at most
// the bytes of the largest input, however large the map or batch. Per chunk,
// two passes over the thread pool:
// 1. per panel of nr positions (one task each): the four corner indices and
//    weights and the mask of every (offset group, kernel tap, position),
//    computed once because all Cin / offset_group channels of an offset
//    group sample the same points; then
// 2. every channel applies its group's taps, writing the GEMM's packed B
//    panel directly (common/gemm.h), so nothing repacks the columns;
// 3. GEMM: per group, W_g [Cout / group, Cin / group * kh * kw] times the
//    group's rows of the columns, written to Y with the bias added, in blocks
//    of rows by panels.
// Steps 2 and 3 run the vector code of the active level (common/cpu_isa.h).
#include <algorithm>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "common/cpu_isa.h"
#include "common/gemm.h"
#include "common/half.h"
#include "deform_conv/deform_conv.h"
#include "deform_conv/deform_conv_columns.h"
#include "deform_conv/deform_conv_taps.h"

namespace ort_roi {

namespace {

constexpr int64_t kGemmTasks = 8;  // per chunk, at least: shares even out across a pool
constexpr int64_t kGemmBlockBytes = 256 << 10;
constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();

int64_t Blocks(int64_t n, int64_t per_block) { return (n + per_block - 1) / per_block; }

template <typename A>
using ColumnsFn = void (*)(const DeformColumnsArgs<A>&);

// The reference of deform_conv_columns.h's column step.
template <typename A>
void PlainColumns(const DeformColumnsArgs<A>& a) {
  const int64_t s = a.stride;
  for (int64_t p = a.p0; p < a.p1; ++p) {
    for (int64_t ch = 0; ch < a.channels; ++ch) {
      const A* plane = a.plane + ch * a.plane_stride;
      A* rows = a.out + p * a.panel_stride + ch * a.taps * a.nr;
      for (int64_t t = 0; t < a.taps; ++t) {
        const int32_t* index = a.index + t * 4 * s;
        const A* weight = a.weight + t * 4 * s;
        for (int64_t j = 0; j < a.nr; ++j) {
          const int64_t q = p * a.nr + j;
          A v[4];
          for (int64_t k = 0; k < 4; ++k) {
            const int32_t i = index[k * s + q];
            v[k] = i >= 0 ? plane[i] : A(0);  // an outside corner reads 0, never memory
          }
          const A sum = weight[q] * v[0] + weight[s + q] * v[1] + weight[2 * s + q] * v[2] +
                        weight[3 * s + q] * v[3];
          rows[t * a.nr + j] = a.mask[t * s + q] * sum;
        }
      }
    }
  }
}

template <typename A>
ColumnsFn<A> ActiveColumns() {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512: return static_cast<ColumnsFn<A>>(&DeformColumnsAvx512);
    case Isa::kAvx2: return static_cast<ColumnsFn<A>>(&DeformColumnsAvx2);
    case Isa::kScalar: break;
  }
#endif
  return &PlainColumns<A>;
}

template <typename T>
struct Inputs {
  const T* x;
  const T* w;
  const T* offset;
  const T* bias;
  const T* mask;
};

// One chunk: positions [q0, q0 + len) of all images, image n0 first, in
// `stride` = a whole number of panels of nr positions (past len: zeros).
struct Chunk {
  int64_t q0, len, n0, stride;
};

// The taps of one panel: for tap row r = g * kh * kw + i * kw + j (offset
// group g, kernel tap (i, j)) and panel position j, the corner indices
// (relative to image n0's plane of a channel, < 0 outside) and weights at
// [(r * 4 + k) * nr + j] and the mask at [r * nr + j].
template <typename A>
struct PanelTaps {
  std::vector<int32_t> index;
  std::vector<A> weight, mask;
};

// Step 1 for panel p of the chunk.
template <typename T, typename A>
void ComputeTaps(const DeformConvShape& s, const Inputs<T>& in, const Chunk& c, int64_t p, int64_t nr,
                 PanelTaps<A>* out) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t tap_rows = s.offset_group * s.kernel_h * s.kernel_w;
  const int64_t image = s.in_channels * s.height * s.width;
  out->index.resize(static_cast<size_t>(tap_rows * 4 * nr));
  out->weight.resize(static_cast<size_t>(tap_rows * 4 * nr));
  out->mask.resize(static_cast<size_t>(tap_rows * nr));
  for (int64_t r = 0; r < tap_rows; ++r) {
    for (int64_t j = 0; j < nr; ++j) {
      const int64_t q = p * nr + j;
      DeformTap<A> t{{-1, -1, -1, -1}, {A(0), A(0), A(0), A(0)}};
      A m = A(0);
      if (q < c.len) {
        const int64_t n = (c.q0 + q) / positions, pos = (c.q0 + q) % positions;
        t = DeformConvTap(s, in.offset, n, r, pos);
        m = DeformConvMask(s, in.mask, n, r, pos);
        for (int k = 0; k < 4; ++k) {
          if (t.index[k] >= 0) t.index[k] += (n - c.n0) * image;  // < kMaxIndex: see PlanChunks
        }
      }
      for (int k = 0; k < 4; ++k) {
        out->index[(r * 4 + k) * nr + j] = static_cast<int32_t>(t.index[k]);
        out->weight[(r * 4 + k) * nr + j] = t.weight[k];
      }
      out->mask[r * nr + j] = m;
    }
  }
}

// Steps 1 and 2, one task per panel: the panel's taps, then every channel
// applies its offset group's taps, writing row (ch * kh * kw + tap) of panel
// p at columns[(p * K + row) * nr + j] for position q = p * nr + j. The
// panel's taps stay in L1 while all channels use them. float16 widens, per
// channel, the span of the plane that the panel's corners reach.
template <typename T, typename A>
void ComputeColumns(const DeformConvShape& s, const Inputs<T>& in, const Chunk& c, int64_t nr,
                    ColumnsFn<A> columns_fn, A* columns, const ParallelFor& parallel_for) {
  const int64_t taps = s.kernel_h * s.kernel_w;
  const int64_t channels_per_group = s.in_channels / s.offset_group;
  const int64_t plane = s.height * s.width;
  const int64_t k = s.in_channels * taps;
  if (channels_per_group == 0) return;  // no input channels: K = 0, Y is the bias
  parallel_for(static_cast<size_t>(c.stride / nr), [&](size_t task) {
    const int64_t p = static_cast<int64_t>(task);
    PanelTaps<A> t;
    ComputeTaps(s, in, c, p, nr, &t);
    A* panel = columns + p * k * nr;
    for (int64_t g = 0; g < s.offset_group; ++g) {
      const int64_t c0 = g * channels_per_group;
      // Readable from the group's last channel's plane to the end of X.
      const int64_t extent = (s.batch * s.in_channels - (c.n0 * s.in_channels + c0 + channels_per_group - 1)) * plane;
      DeformColumnsArgs<A> args{nullptr, channels_per_group, plane, extent, t.index.data() + g * taps * 4 * nr,
                                t.weight.data() + g * taps * 4 * nr, t.mask.data() + g * taps * nr,
                                taps, nr, nr, 0, 1, panel + c0 * taps * nr, k * nr};
      if constexpr (std::is_same_v<T, A>) {
        args.plane = in.x + (c.n0 * s.in_channels + c0) * plane;
        columns_fn(args);
      } else {
        // Chunks of float16 stay within one image (PlanChunks), so indices are in [0, plane).
        int64_t lo = plane, hi = -1;
        for (int64_t i = 0; i < taps * 4 * nr; ++i) {
          const int64_t v = args.index[i];
          if (v >= 0) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        std::vector<A> widened(static_cast<size_t>(hi >= lo ? hi + 1 : 0));
        args.plane = widened.data();
        args.channels = 1;
        args.extent = static_cast<int64_t>(widened.size());
        for (int64_t ch = 0; ch < channels_per_group; ++ch) {
          if (hi >= lo) WidenHalves(in.x + (c.n0 * s.in_channels + c0 + ch) * plane + lo, widened.data() + lo, hi - lo + 1);
          args.out = panel + (c0 + ch) * taps * nr;
          columns_fn(args);
        }
      }
    }
  });
}

// Step 3: Y[n, oc, p] = sum_k W[oc, k] * columns[g rows][q] + B[oc].
template <typename T, typename A>
void MultiplyColumns(const DeformConvShape& s, const Inputs<T>& in, const Chunk& c,
                     const GemmKernel<A>& kern, const A* columns, T* y, const ParallelFor& parallel_for) {
  const int64_t positions = s.out_height * s.out_width;
  const int64_t out_per_group = s.out_channels / s.group;
  const int64_t kg = s.in_channels / s.group * s.kernel_h * s.kernel_w;
  const int64_t panels = c.stride / kern.nr;
  // Row blocks of about equal height, whole mr, and enough column blocks
  // that the pool's threads get near-equal shares; each block packs its rows
  // of W once per k slice for all its panels.
  const int64_t row_blocks = Blocks(out_per_group, kern.mc);
  const int64_t mc = Blocks(Blocks(out_per_group, row_blocks), kern.mr) * kern.mr;
  // A block's C (mc x its panels) stays within kGemmBlockBytes, so that with
  // few input channels (a short K) it is not larger than the columns.
  const int64_t max_panels = std::max<int64_t>(1, kGemmBlockBytes / (mc * kern.nr * static_cast<int64_t>(sizeof(A))));
  const int64_t col_blocks =
      std::max(Blocks(panels, max_panels), std::min(panels, Blocks(kGemmTasks, s.group * row_blocks)));
  const int64_t panels_per_task = Blocks(panels, col_blocks);
  const int64_t per_group = row_blocks * col_blocks;
  parallel_for(static_cast<size_t>(s.group * per_group), [&](size_t task) {
    const int64_t g = static_cast<int64_t>(task) / per_group;
    const int64_t rb = (static_cast<int64_t>(task) % per_group) / col_blocks;
    const int64_t cb = static_cast<int64_t>(task) % col_blocks;
    const int64_t m0 = rb * mc, rows = std::min(mc, out_per_group - m0);
    const int64_t p0 = cb * panels_per_task, p1 = std::min(panels, p0 + panels_per_task);
    if (rows <= 0 || p0 >= p1) return;
    const GemmPackedB<A> b{columns + g * kg * kern.nr, s.in_channels * s.kernel_h * s.kernel_w * kern.nr};
    std::vector<A> sums;  // float16: a run of a row's sums before rounding
    GemmBlock(kern, in.w + g * out_per_group * kg, kg, m0, rows, kg, b, p0, p1, c.len,
              [&](int64_t row, int64_t col, const A* v, int64_t count) {
                const int64_t oc = g * out_per_group + row;
                const A bias = in.bias != nullptr ? Load<A>(in.bias[oc]) : A(0);
                const int64_t n = (c.q0 + col) / positions;
                int64_t p = (c.q0 + col) % positions;
                int64_t base = (n * s.out_channels + oc) * positions;
                // Runs within one image: the chunk may go on into the next.
                for (int64_t j = 0; j < count;) {
                  const int64_t run = std::min(count - j, positions - p);
                  T* out = y + base + p;
                  // torchvision adds the bias after the product (no bias: adds zero).
                  if constexpr (std::is_same_v<T, Half>) {
                    sums.resize(static_cast<size_t>(run));
                    for (int64_t i = 0; i < run; ++i) sums[i] = v[j + i] + bias;
                    NarrowToHalves(sums.data(), out, run);
                  } else {
                    for (int64_t i = 0; i < run; ++i) out[i] = v[j + i] + bias;
                  }
                  j += run;
                  p += run;
                  if (p == positions) {
                    p = 0;
                    base += s.out_channels * positions;
                  }
                }
              });
  });
}

// Positions per chunk, a whole number of panels of nr: as many as keep the
// columns and taps within `budget` bytes (at least one panel). Whether chunks
// must stay within one image: float16 widens one image's planes, and the
// int32 corner indices count from the chunk's first image.
struct ChunkPlan {
  int64_t positions;
  bool one_image;
};

template <typename T, typename A>
ChunkPlan PlanChunks(const DeformConvShape& s, int64_t nr, int64_t budget) {
  const int64_t per_position = s.in_channels * s.kernel_h * s.kernel_w * static_cast<int64_t>(sizeof(A));
  const int64_t total = s.batch * s.out_height * s.out_width;
  int64_t chunk = std::max<int64_t>(budget / std::max<int64_t>(per_position, 1) / nr, 1) * nr;
  chunk = std::min(chunk, Blocks(total, nr) * nr);
  const bool one_image = !std::is_same_v<T, A> || s.batch * s.in_channels * s.height * s.width > kMaxIndex;
  return {chunk, one_image};
}

}  // namespace

template <typename T>
void DeformConvCpu(const DeformConvShape& s, const T* x, const T* w, const T* offset, const T* bias,
                   const T* mask, T* y, const ParallelFor& parallel_for,
                   const HostScratch& scratch) {
  using A = typename Acc<T>::type;
  const int64_t positions = s.out_height * s.out_width;
  const int64_t total = s.batch * positions;
  if (total == 0 || s.out_channels == 0) return;
  const Inputs<T> in{x, w, offset, bias, mask};
  const GemmKernel<A> kern = ActiveGemmKernel<A>();
  const ColumnsFn<A> columns_fn = ActiveColumns<A>();

  // Scratch budget: the bytes of the largest input.
  const int64_t taps = s.kernel_h * s.kernel_w;
  const int64_t largest = std::max({s.batch * s.in_channels * s.height * s.width,
                                    s.out_channels * s.in_channels / s.group * taps,
                                    s.batch * 2 * s.offset_group * taps * positions}) *
                          static_cast<int64_t>(sizeof(T));
  const ChunkPlan plan = PlanChunks<T, A>(s, kern.nr, largest);
  const int64_t column_rows = s.in_channels * taps;

  // Not zero-filled: every panel row is written before the GEMM reads it.
  std::unique_ptr<A[]> owned;
  A* const columns = TakeHostScratch<A>(
      scratch, static_cast<size_t>(std::max<int64_t>(column_rows * plan.positions, 1)), &owned);
  Chunk c{0, 0, 0, 0};
  for (int64_t q0 = 0; q0 < total; q0 += c.len) {
    c.q0 = q0;
    c.n0 = q0 / positions;
    c.len = std::min(plan.positions, total - q0);
    if (plan.one_image) c.len = std::min(c.len, (c.n0 + 1) * positions - q0);
    c.stride = Blocks(c.len, kern.nr) * kern.nr;
    ComputeColumns(s, in, c, kern.nr, columns_fn, columns, parallel_for);
    MultiplyColumns(s, in, c, kern, columns, y, parallel_for);
  }
}

template void DeformConvCpu<float>(const DeformConvShape&, const float*, const float*, const float*,
                                   const float*, const float*, float*, const ParallelFor&,
                                   const HostScratch&);
template void DeformConvCpu<double>(const DeformConvShape&, const double*, const double*,
                                    const double*, const double*, const double*, double*,
                                    const ParallelFor&, const HostScratch&);
template void DeformConvCpu<Half>(const DeformConvShape&, const Half*, const Half*, const Half*,
                                  const Half*, const Half*, Half*, const ParallelFor&,
                                  const HostScratch&);

}  // namespace ort_roi
