// DeformConv2d on the CPU: a deformable im2col fused with a grouped GEMM,
// computed as Y^T = columns * W^T, one block of output positions at a time.
//
// 1. The input goes channels-last once, in the accumulation type, so that a
//    tap's four corners are runs of contiguous channels (no gathers).
// 2. Each group's weights are packed as the GEMM's right operand
//    (common/gemm.h): B_g[k, o] = W[g * Cout/group + o, c, tap] with the rows
//    tap-major, k = tap * Cin/group + c, so that a run of k is a run of
//    channels of one tap. Once per call, or, for a constant W, once when the
//    session creates the kernel (PackDeformConvW); for a fed W on a map of
//    few positions, by each task for its own panels as it uses them
//    (GemmPanels), so that W is read once and not written back.
// 3. One task per (group, block of output positions, across images, and on
//    a small map part of the output channels): the corners, weights and mask
//    of every tap of its positions, computed once; then GemmRows, whose k
//    slices of the left operand (one row per position) the column step
//    samples straight from the channels-last input; then the block's
//    products, transposed, go to Y with the bias added.
// Every output is one task's, summed in one fixed order: the thread count
// does not change a bit. Step 3's sampling and products run the vector code
// of the active level (common/cpu_isa.h).
#include <algorithm>
#include <cstdint>
#include <functional>
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

constexpr int64_t kTasks = 8;                 // per group, at least, when the positions allow
constexpr int64_t kBlockRows = 112;           // positions per task, at most
// A task's products, at most, when Cout is large (L2 holds them): 256 KiB
// left float64 on 1x512x32x32 at 64-68 ms, 512 KiB takes 55-58 (float32,
// whose tasks stop at kBlockRows first up to 512 channels, alike).
constexpr int64_t kBlockBytes = 512 << 10;
constexpr int64_t kInTaskRowsBytes = 8 << 20;  // a task's whole left operand, when it packs W itself

int64_t Blocks(int64_t n, int64_t per_block) { return (n + per_block - 1) / per_block; }

// The plain reference of the column step: deform_conv_columns_simd.h's body
// with one lane.
struct OneLane {
  static constexpr int64_t kLanes = 1;
};
#include "deform_conv/deform_conv_columns_simd.h"

template <typename A>
using ColumnsFn = void (*)(const DeformColumnsArgs<A>&);

template <typename A>
void PlainColumns(const DeformColumnsArgs<A>& a) {
  Columns<OneLane>(a);
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

// X as [N, H, W, Cin] in A, followed by Cin zeros: where an outside corner
// points. float16 goes channels-last as it is, then widens.
template <typename T, typename A>
A* ChannelsLastInput(const DeformConvShape& s, const T* x, const ParallelFor& parallel_for,
                     const HostScratch& scratch, std::unique_ptr<A[]>* owned,
                     std::unique_ptr<T[]>* owned_half) {
  const int64_t pixels = s.batch * s.height * s.width, c = s.in_channels;
  A* out = TakeHostScratch<A>(scratch, static_cast<size_t>(pixels * c + c + 1), owned);
  std::fill(out + pixels * c, out + pixels * c + c, A(0));
  if (c == 0 || pixels == 0) return out;
  if constexpr (std::is_same_v<T, A>) {
    ToChannelsLast(x, s.batch, c, s.height, s.width, 0, c, c, nullptr, out, parallel_for);
  } else {
    T* half = TakeHostScratch<T>(scratch, static_cast<size_t>(pixels * c), owned_half);
    ToChannelsLast(x, s.batch, c, s.height, s.width, 0, c, c, nullptr, half, parallel_for);
    const int64_t rows = s.batch * s.height;
    parallel_for(static_cast<size_t>(rows), [&](size_t r) {
      const int64_t at = static_cast<int64_t>(r) * s.width * c;
      WidenHalves(half + at, out + at, s.width * c);
    });
  }
  return out;
}

// The dimensions of W that its packing depends on.
struct WeightDims {
  int64_t out_channels, in_per_group, kernel_h, kernel_w, group;
};

// Group g's B panel p ([Cin/group * kh * kw, nr], as GemmPackedB reads a
// panel) at `out`; output channels past Cout / group are zero. W's rows are
// channel-major, B's rows tap-major: a few channels of the panel's W rows
// (contiguous runs) transposed into a tile in L1, whose rows are then B's
// rows, each copied to its place (contiguous too).
template <typename T, typename A>
void PackPanel(const WeightDims& d, const T* w, int64_t nr, int64_t g, int64_t p, A* out) {
  const int64_t taps = d.kernel_h * d.kernel_w, cpg = d.in_per_group;
  const int64_t opg = d.out_channels / d.group, kg = cpg * taps;
  const int64_t width = std::min(nr, opg - p * nr);
  const T* rows = w + (g * opg + p * nr) * kg;
  const int64_t chunk = std::max<int64_t>(1, 128 / taps);
  std::vector<T> tile(static_cast<size_t>(chunk * taps * nr), T());  // columns past width stay 0
  for (int64_t c0 = 0; c0 < cpg; c0 += chunk) {
    const int64_t cn = std::min(chunk, cpg - c0);
    Transpose(rows + c0 * taps, width, kg, cn * taps, tile.data(), nr);
    for (int64_t c = 0; c < cn; ++c) {
      for (int64_t t = 0; t < taps; ++t) {
        const T* from = tile.data() + (c * taps + t) * nr;
        A* to = out + (t * cpg + c0 + c) * nr;
        if constexpr (std::is_same_v<T, A>) {
          std::copy(from, from + nr, to);
        } else {
          WidenHalves(from, to, nr);
        }
      }
    }
  }
}

// Every group's panels: group g's panel p at packed + (g * panels + p) * kg * nr.
template <typename T, typename A>
void PackWeights(const WeightDims& d, const T* w, int64_t nr, A* packed, const ParallelFor& parallel_for) {
  const int64_t panels = Blocks(d.out_channels / d.group, nr);
  const int64_t kg = d.in_per_group * d.kernel_h * d.kernel_w;
  parallel_for(static_cast<size_t>(d.group * panels), [&](size_t task) {
    const int64_t g = static_cast<int64_t>(task) / panels, p = static_cast<int64_t>(task) % panels;
    PackPanel(d, w, nr, g, p, packed + static_cast<int64_t>(task) * kg * nr);
  });
}

int64_t PackedSize(const WeightDims& d, int64_t nr) {
  return d.group * Blocks(d.out_channels / d.group, nr) * nr * d.in_per_group * d.kernel_h * d.kernel_w;
}

// What every task of one call shares, and one task: positions [q0, q0 +
// rows) of all images, of group g, for the output channels of B's panels
// [p0, p1) of that group.
template <typename T>
struct DeformTasks {
  using A = typename Acc<T>::type;
  const DeformConvShape& s;
  const GemmKernel<A>& kern;
  ColumnsFn<A> columns_fn;
  const A* xl;      // channels-last X, then a row of zeros (ChannelsLastInput)
  const A* packed;  // B of every group (PackWeights), or null: each task packs its panels
  const T* w;
  WeightDims dims;
  const T* offset;
  const T* mask;
  const T* bias;
  T* y;

  void Run(int64_t g, int64_t q0, int64_t rows, int64_t p0, int64_t p1) const {
    const int64_t positions = s.out_height * s.out_width;
    const int64_t taps = s.kernel_h * s.kernel_w, tap_rows = s.offset_group * taps;
    const int64_t cpg = s.in_channels / s.group, opg = s.out_channels / s.group;
    const int64_t kg = cpg * taps, panels = Blocks(opg, kern.nr);
    const int64_t image = s.height * s.width * s.in_channels;
    const A* zeros = xl + s.batch * image;
    const int64_t mp = GemmPaddedRows(kern, rows), ldc = (p1 - p0) * kern.nr;
    const int64_t o0 = p0 * kern.nr, o1 = std::min(opg, p1 * kern.nr);
    std::vector<DeformCorners<A>> corners(static_cast<size_t>(rows * tap_rows));
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t n = (q0 + i) / positions, pos = (q0 + i) % positions;
      for (int64_t r = 0; r < tap_rows; ++r) {
        const DeformTap<A> t = DeformConvTap(s, offset, n, r, pos);
        DeformCorners<A>& d = corners[i * tap_rows + r];
        for (int k = 0; k < 4; ++k) {
          d.corner[k] = t.index[k] >= 0 ? xl + n * image + t.index[k] * s.in_channels : zeros;
          d.weight[k] = t.weight[k];
        }
        d.mask = DeformConvMask(s, mask, n, r, pos);
      }
    }
    std::vector<A> c(static_cast<size_t>(mp * ldc));
    auto fill = [&](int64_t k0, int64_t kc, A* slice) {
      const DeformColumnsArgs<A> args{corners.data(), rows, tap_rows, taps,
                                      cpg, s.in_channels / s.offset_group, g * cpg,
                                      k0, kc, slice, kern.kc};
      columns_fn(args);
    };
    if (packed != nullptr) {
      std::vector<A> a(static_cast<size_t>(mp * kern.kc));
      const GemmPackedB<A> weights{packed + (g * panels + p0) * kg * kern.nr, kg * kern.nr};
      GemmRows(kern, rows, kg, weights, p1 - p0, a.data(), c.data(), ldc, fill);
    } else {
      std::vector<A> a(static_cast<size_t>(Blocks(kg, kern.kc) * mp * kern.kc));
      std::vector<A> panel(static_cast<size_t>(kg * kern.nr));
      GemmPanels(kern, rows, kg, p1 - p0, a.data(), panel.data(), c.data(), ldc, fill,
                 [&](int64_t p, A* out) { PackPanel(dims, w, kern.nr, g, p0 + p, out); });
    }
    // The products per output channel, then each channel's runs within one image.
    std::vector<A> by_channel(static_cast<size_t>((o1 - o0) * rows));
    Transpose(c.data(), rows, ldc, o1 - o0, by_channel.data(), rows);
    std::vector<A> sums;  // float16: a run's sums before rounding
    for (int64_t o = o0; o < o1; ++o) {
      const int64_t oc = g * opg + o;
      // torchvision adds the bias after the product (no bias: adds zero).
      const A add = bias != nullptr ? Load<A>(bias[oc]) : A(0);
      const A* v = by_channel.data() + (o - o0) * rows;
      for (int64_t i = 0; i < rows;) {
        const int64_t n = (q0 + i) / positions, pos = (q0 + i) % positions;
        const int64_t run = std::min(rows - i, positions - pos);
        T* out = y + (n * s.out_channels + oc) * positions + pos;
        if constexpr (std::is_same_v<T, Half>) {
          sums.resize(static_cast<size_t>(run));
          for (int64_t j = 0; j < run; ++j) sums[j] = v[i + j] + add;
          NarrowToHalves(sums.data(), out, run);
        } else {
          for (int64_t j = 0; j < run; ++j) out[j] = v[i + j] + add;
        }
        i += run;
      }
    }
  }
};

}  // namespace

template <typename T>
std::unique_ptr<const DeformConvPackedW<typename Acc<T>::type>> PackDeformConvW(
    const T* w, int64_t out_channels, int64_t in_per_group, int64_t kernel_h, int64_t kernel_w,
    int64_t group) {
  using A = typename Acc<T>::type;
  const WeightDims d{out_channels, in_per_group, kernel_h, kernel_w, group};
  if (out_channels < 1 || in_per_group < 1 || kernel_h < 1 || kernel_w < 1 || group < 1 ||
      out_channels % group != 0) {
    return nullptr;
  }
  auto packed = std::make_unique<DeformConvPackedW<A>>(
      DeformConvPackedW<A>{out_channels, in_per_group, kernel_h, kernel_w, group, {}});
  const int64_t nr = ActiveGemmKernel<A>().nr;
  packed->data.resize(static_cast<size_t>(PackedSize(d, nr)));
  const ParallelFor in_turn = [](size_t n, const std::function<void(size_t)>& body) {
    for (size_t i = 0; i < n; ++i) body(i);
  };
  PackWeights(d, w, nr, packed->data.data(), in_turn);
  return packed;
}

template <typename T>
void DeformConvCpu(const DeformConvShape& s, const T* x, const T* w, const T* offset, const T* bias,
                   const T* mask, T* y, const ParallelFor& parallel_for,
                   const HostScratch& scratch, const DeformConvPackedW<typename Acc<T>::type>* packed_w) {
  using A = typename Acc<T>::type;
  const int64_t positions = s.out_height * s.out_width;
  const int64_t total = s.batch * positions;
  if (total == 0 || s.out_channels == 0) return;
  const GemmKernel<A> kern = ActiveGemmKernel<A>();
  const ColumnsFn<A> columns_fn = ActiveColumns<A>();
  const int64_t cpg = s.in_channels / s.group, opg = s.out_channels / s.group;
  const int64_t panels = Blocks(opg, kern.nr), ldc = panels * kern.nr;

  std::unique_ptr<A[]> owned_x, owned_w;
  std::unique_ptr<T[]> owned_half;
  const A* xl = ChannelsLastInput(s, x, parallel_for, scratch, &owned_x, &owned_half);
  const WeightDims dims{s.out_channels, cpg, s.kernel_h, s.kernel_w, s.group};
  const A* packed = nullptr;
  if (packed_w != nullptr && packed_w->out_channels == dims.out_channels &&
      packed_w->in_per_group == dims.in_per_group && packed_w->kernel_h == dims.kernel_h &&
      packed_w->kernel_w == dims.kernel_w && packed_w->group == dims.group &&
      static_cast<int64_t>(packed_w->data.size()) == PackedSize(dims, kern.nr)) {
    packed = packed_w->data.data();
  }
  // A W fed with the call, on few positions: each task packs its panels as
  // it goes, reading W once, instead of packing all of W ahead (writing it
  // and reading it back, which costs more than the product there).
  const int64_t kg = cpg * s.kernel_h * s.kernel_w;
  const bool pack_in_tasks =
      packed == nullptr && total <= kBlockRows &&
      Blocks(kg, kern.kc) * GemmPaddedRows(kern, total) * static_cast<int64_t>(sizeof(A)) * kern.kc <=
          kInTaskRowsBytes;
  if (packed == nullptr && !pack_in_tasks) {
    A* to = TakeHostScratch<A>(scratch, static_cast<size_t>(std::max<int64_t>(PackedSize(dims, kern.nr), 1)),
                               &owned_w);
    PackWeights(dims, w, kern.nr, to, parallel_for);
    packed = to;
  }

  // Tasks of whole register blocks of positions, at most kBlockRows and a
  // task's products within kBlockBytes, enough of them for the pool, and all
  // within one register block of the same size: ORT hands each thread a run
  // of tasks, and one short task would leave a thread idle. When the
  // positions make too few tasks (a small map), the output channels are
  // split as well; each part then samples its positions again.
  const int64_t row_blocks = Blocks(total, kern.mr);
  const int64_t most_rows = std::max<int64_t>(
      kern.mr, std::min(kBlockRows, kBlockBytes / (ldc * static_cast<int64_t>(sizeof(A)))));
  const int64_t blocks =
      pack_in_tasks ? 1 : std::min(row_blocks, std::max(kTasks, Blocks(row_blocks, most_rows / kern.mr)));
  const int64_t parts = std::min(panels, Blocks(kTasks, s.group * blocks));
  const int64_t per_part = Blocks(panels, parts);
  const int64_t splits = Blocks(panels, per_part);
  const DeformTasks<T> tasks{s, kern, columns_fn, xl, packed, w, dims, offset, mask, bias, y};
  parallel_for(static_cast<size_t>(s.group * blocks * splits), [&](size_t t) {
    const int64_t task = static_cast<int64_t>(t);
    const int64_t g = task / (blocks * splits), block = task / splits % blocks, part = task % splits;
    const int64_t q0 = block * row_blocks / blocks * kern.mr;
    const int64_t q1 = std::min((block + 1) * row_blocks / blocks * kern.mr, total);
    tasks.Run(g, q0, q1 - q0, part * per_part, std::min(panels, (part + 1) * per_part));
  });
}

#define ORT_ROI_DEFORM_CONV_CPU(T)                                                                  \
  template std::unique_ptr<const DeformConvPackedW<Acc<T>::type>> PackDeformConvW<T>(                \
      const T*, int64_t, int64_t, int64_t, int64_t, int64_t);                                        \
  template void DeformConvCpu<T>(const DeformConvShape&, const T*, const T*, const T*, const T*,     \
                                 const T*, T*, const ParallelFor&, const HostScratch&,               \
                                 const DeformConvPackedW<Acc<T>::type>*);
ORT_ROI_DEFORM_CONV_CPU(float)
ORT_ROI_DEFORM_CONV_CPU(double)
ORT_ROI_DEFORM_CONV_CPU(Half)
#undef ORT_ROI_DEFORM_CONV_CPU

}  // namespace ort_roi
