#include "common/roi_align_pool.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "common/bilinear.h"
#include "common/cpu_isa.h"
#include "common/roi_align_channels_last.h"
#include "common/roi_align_geometry.h"

namespace ort_roi {
namespace {

// The plain C++ reference of the vector variants (and the NCHW path): one
// channel at a time, samples in torchvision's order.
template <typename T, typename A>
void PoolRoiBlockPlain(const RoiBlock<T, A>& r) {
  for (int64_t ph = 0; ph < r.pooled_h; ++ph) {
    for (int64_t pw = 0; pw < r.pooled_w; ++pw) {
      T* out = r.out + (ph * r.pooled_w + pw) * r.channels;
      for (int64_t c = 0; c < r.channels; ++c) {
        const T* m = r.map + c * r.channel_stride;
        A sum = A(0);
        for (int64_t iy = r.y_begin[ph]; iy < r.y_begin[ph + 1]; ++iy) {
          const RoiAxisTap<A>& ty = r.y[iy];
          for (int64_t ix = r.x_begin[pw]; ix < r.x_begin[pw + 1]; ++ix) {
            const RoiAxisTap<A>& tx = r.x[ix];
            const A w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
            const A w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
            sum += w1 * Load<A>(m[ty.low + tx.low]) + w2 * Load<A>(m[ty.low + tx.high]) +
                   w3 * Load<A>(m[ty.high + tx.low]) + w4 * Load<A>(m[ty.high + tx.high]);
          }
        }
        out[c] = Store<T>(sum / r.count);
      }
    }
  }
}

template <typename T, typename A>
void PoolRoiBlock(const RoiBlock<T, A>& r) {
#if ORT_ROI_X86_VARIANTS
  if (r.channel_stride == 1) {
    switch (ActiveIsa()) {
      case Isa::kAvx512: PoolRoiBlockAvx512(r); return;
      case Isa::kAvx2: PoolRoiBlockAvx2(r); return;
      case Isa::kScalar: break;
    }
  }
#endif
  PoolRoiBlockPlain(r);
}

// Channels a pixel of a channels-last block holds: 128 bytes (32 floats,
// 64 halves, 16 doubles), 2 cache lines. A block's map of a 200 x 272 FPN
// level is 7 MB, which the L3 cache keeps while every roi reads it; larger
// blocks measured slower on the box and mask heads, smaller ones slower on
// the box head.
constexpr size_t kChannelsLastBlockBytes = 128;

// Per-thread scratch, reused across rois and calls: it only grows.
template <typename T>
struct Scratch {
  using A = typename Acc<T>::type;
  std::vector<RoiAxisTap<A>> y, x;
  std::vector<int64_t> y_begin, x_begin;
  std::vector<T> out;
};

template <typename T>
Scratch<T>& ThreadScratch() {
  thread_local Scratch<T> scratch;
  return scratch;
}

// The valid samples of `pooled` bins of size `bin` from `start`, `grid` per
// bin, on an axis of `size` pixels `stride` elements apart.
template <typename A>
void BuildTaps(A start, A bin, int64_t grid, int64_t pooled, int64_t size, int64_t stride,
               std::vector<RoiAxisTap<A>>* taps, std::vector<int64_t>* begin) {
  taps->clear();
  begin->assign(1, 0);
  for (int64_t p = 0; p < pooled; ++p) {
    for (int64_t i = 0; i < grid; ++i) {
      const AxisTap<A> t =
          BilinearAxisTap(SampleCoord(start, bin, p, i, grid), static_cast<int>(size));
      if (t.valid) taps->push_back({t.low * stride, t.high * stride, t.w_low, t.w_high});
    }
    begin->push_back(static_cast<int64_t>(taps->size()));
  }
}

// Channels per task: whole rois when there are enough of them to share out,
// else blocks (multiples of 16, a vector of floats) so that few rois still
// keep every thread busy.
int64_t ChannelBlock(int64_t rois, int64_t channels) {
  constexpr int64_t kTasks = 64, kMinBlock = 32, kMaxBlock = 512;
  int64_t blocks = std::max<int64_t>(1, (kTasks + rois - 1) / std::max<int64_t>(rois, 1));
  blocks = std::min(blocks, (channels + kMinBlock - 1) / kMinBlock);
  int64_t block = (channels + blocks - 1) / blocks;
  block = std::min(kMaxBlock, (block + 15) / 16 * 16);
  return std::max<int64_t>(1, std::min(block, channels));
}

// The order to pool rois in: by image, then by where their centres lie (a
// Z-order curve over 16-pixel cells), so that rois that read the same pixels
// run close together and find them in cache.
template <typename T>
void SpatialOrder(const T* rois, const int64_t* roi_index, int64_t count,
                  std::vector<int64_t>* order) {
  using A = typename Acc<T>::type;
  std::vector<std::pair<uint64_t, int64_t>> keyed(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t k = roi_index == nullptr ? i : roi_index[i];
    const T* r = rois + k * 5;
    // Input-image coordinates; any monotone cell size orders the same rois
    // together. Non-finite or huge boxes land in some cell: only speed
    // depends on it.
    const A cx = (Load<A>(r[1]) + Load<A>(r[3])) / A(32);
    const A cy = (Load<A>(r[2]) + Load<A>(r[4])) / A(32);
    const auto cell = [](A v) -> uint64_t {
      return v > A(0) && v < A(65535) ? static_cast<uint64_t>(v) : (v >= A(65535) ? 65535u : 0u);
    };
    uint64_t key = 0;
    const uint64_t x = cell(cx), y = cell(cy);
    for (int bit = 0; bit < 16; ++bit) {
      key |= ((x >> bit) & 1u) << (2 * bit) | ((y >> bit) & 1u) << (2 * bit + 1);
    }
    key |= static_cast<uint64_t>(static_cast<int64_t>(Load<A>(r[0]))) << 32;
    keyed[static_cast<size_t>(i)] = {key, k};
  }
  std::sort(keyed.begin(), keyed.end());
  order->resize(static_cast<size_t>(count));
  for (size_t i = 0; i < keyed.size(); ++i) (*order)[i] = keyed[i].second;
}

// The pixels [*lo, *hi] along an axis of `size` that samples between start
// and start + extent can read (bilinear.h: none outside [-1, size], else
// floor(coord) and the next), with a pixel to spare each side for rounding;
// false when none.
template <typename A>
bool PixelSpan(A start, A extent, int64_t size, int64_t* lo, int64_t* hi) {
  A a = start, b = start + extent;
  if (b < a) std::swap(a, b);
  if (b < A(-1) || a > static_cast<A>(size)) return false;
  a = std::max(a, A(0));
  b = std::min(b, static_cast<A>(size));
  *lo = std::max<int64_t>(0, static_cast<int64_t>(a) - 1);
  *hi = std::min<int64_t>(size - 1, static_cast<int64_t>(b) + 2);
  return true;
}

// Marks in `tiles` ([batch, tiles_y, tiles_x] of kPixelTile pixels) the
// tiles the rois' samples read; returns how many.
template <typename T>
int64_t MarkTiles(const RoIAlignPooling& p, const RoIAlignMap<T>& map, const T* rois,
                  typename Acc<T>::type spatial_scale, const std::vector<int64_t>& order,
                  std::vector<unsigned char>* tiles) {
  using A = typename Acc<T>::type;
  const int64_t tiles_y = (map.height + kPixelTile - 1) / kPixelTile;
  const int64_t tiles_x = (map.width + kPixelTile - 1) / kPixelTile;
  tiles->assign(static_cast<size_t>(map.batch * tiles_y * tiles_x), 0);
  int64_t marked = 0;
  for (const int64_t k : order) {
    A roi[5];
    for (int j = 0; j < 5; ++j) roi[j] = Load<A>(rois[k * 5 + j]);
    const RoIAlignBox<A> b = MakeRoIAlignBox(roi + 1, spatial_scale, p.aligned, p.pooled_h,
                                             p.pooled_w, p.sampling_ratio);
    int64_t y0, y1, x0, x1;
    if (!b.finite || b.grid_h == 0 || b.grid_w == 0 ||
        !PixelSpan(b.start_h, b.bin_h * static_cast<A>(p.pooled_h), map.height, &y0, &y1) ||
        !PixelSpan(b.start_w, b.bin_w * static_cast<A>(p.pooled_w), map.width, &x0, &x1)) {
      continue;
    }
    unsigned char* image = tiles->data() + static_cast<int64_t>(roi[0]) * tiles_y * tiles_x;
    for (int64_t ty = y0 / kPixelTile; ty <= y1 / kPixelTile; ++ty) {
      for (int64_t tx = x0 / kPixelTile; tx <= x1 / kPixelTile; ++tx) {
        unsigned char& t = image[ty * tiles_x + tx];
        marked += t == 0;
        t = 1;
      }
    }
  }
  return marked;
}

// Where channels [c_begin, c_end) of a map lie: image n at data + n *
// image; channel c_begin + j, row r, column q at j * cs + r * rs + q * xs.
// Tasks pool `task_block` channels of one roi.
template <typename T>
struct Layout {
  const T* data;
  int64_t image, cs, rs, xs;
  int64_t c_begin, c_end;
  int64_t task_block;
};

// Every roi of `order` from the channels layouts[0 .. layouts) hold, into
// y: tasks by layout, then roi, then task block.
template <typename T>
void PoolRois(const RoIAlignPooling& p, const RoIAlignMap<T>& map, const Layout<T>* layouts,
              int64_t num_layouts, const T* rois, typename Acc<T>::type spatial_scale,
              const std::vector<int64_t>& order, T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t count = static_cast<int64_t>(order.size());
  const int64_t bins = p.pooled_h * p.pooled_w;
  const Layout<T>& first = layouts[0];
  const int64_t blocks = (first.c_end - first.c_begin + first.task_block - 1) / first.task_block;
  parallel_for(static_cast<size_t>(num_layouts * count * blocks), [&](size_t task) {
    const int64_t t = static_cast<int64_t>(task);
    const Layout<T>& at = layouts[t / (count * blocks)];
    const int64_t k = order[static_cast<size_t>(t % (count * blocks) / blocks)];
    const int64_t c_begin = at.c_begin + (t % blocks) * at.task_block;
    const int64_t n = std::min(at.c_end, c_begin + at.task_block) - c_begin;
    T* out = y + (k * map.channels + c_begin) * bins;
    A roi[5];
    for (int j = 0; j < 5; ++j) roi[j] = Load<A>(rois[k * 5 + j]);
    const RoIAlignBox<A> b = MakeRoIAlignBox(roi + 1, spatial_scale, p.aligned, p.pooled_h,
                                             p.pooled_w, p.sampling_ratio);
    if (!b.finite) {
      std::fill(out, out + n * bins, Store<T>(A(0)));
      return;
    }
    Scratch<T>& s = ThreadScratch<T>();
    BuildTaps(b.start_h, b.bin_h, b.grid_h, p.pooled_h, map.height, at.rs, &s.y, &s.y_begin);
    BuildTaps(b.start_w, b.bin_w, b.grid_w, p.pooled_w, map.width, at.xs, &s.x, &s.x_begin);
    if (s.out.size() < static_cast<size_t>(n * bins)) s.out.resize(n * bins);
    const int64_t batch = static_cast<int64_t>(roi[0]);
    const RoiBlock<T, A> r{at.data + batch * at.image + (c_begin - at.c_begin) * at.cs, at.cs,
                           s.y.data(), s.y_begin.data(), s.x.data(), s.x_begin.data(),
                           p.pooled_h, p.pooled_w, n, b.count, s.out.data()};
    PoolRoiBlock(r);
    // Bin-major to the output's [channels, bins].
    Transpose(s.out.data(), bins, n, n, out, bins);
  });
}

}  // namespace

bool ChannelsLastPays(int64_t rois, int64_t bins, int64_t pixels) {
  // The copy moves every pixel's channels once, at memory speed; from NCHW a
  // bin reads 16 values (4 samples of 4 taps at sampling ratio 2) per
  // channel, one at a time and a plane apart. Measured on FPN levels with
  // 256 channels, the copy pays from about one roi of 7 x 7 bins per 3,000
  // pixels (MultiScaleRoIAlign's box head: 59 ms of CPU with the constant
  // at 8, 32 ms at 32 to 128).
  return rois * bins * 64 >= pixels;
}

template <typename T>
void RoIAlignRois(const RoIAlignPooling& p, const RoIAlignMap<T>& map, const T* rois,
                  typename Acc<T>::type spatial_scale, const int64_t* roi_index, int64_t count,
                  T* y, const ParallelFor& parallel_for, const HostScratch& scratch) {
  if (count == 0 || map.channels == 0) return;
  std::vector<int64_t> order;
  SpatialOrder(rois, roi_index, count, &order);
  const int64_t plane = map.height * map.width;

  // Only the tiles of pixels some roi reads are copied.
  std::vector<unsigned char> tiles;
  const int64_t marked = MarkTiles(p, map, rois, spatial_scale, order, &tiles);
  const int64_t pixels = std::min(marked * kPixelTile * kPixelTile, map.batch * plane);
  if (!ChannelsLastPays(count, p.pooled_h * p.pooled_w, pixels)) {
    const Layout<T> nchw{map.data, map.channels * plane, plane, map.width, 1,
                         0, map.channels, ChannelBlock(count, map.channels)};
    PoolRois(p, map, &nchw, 1, rois, spatial_scale, order, y, parallel_for);
    return;
  }
  // Rounds of channel blocks: copy them (one parallel pass), then pool every
  // roi from each in turn (another). With more bins than pixels (a box head)
  // one round of every block measured fastest: the fewest waits for the
  // slowest thread. With fewer (a mask head), a round per block: the roi
  // pass reads the block while the copy left it in cache.
  const int64_t block =
      std::min(map.channels, static_cast<int64_t>(kChannelsLastBlockBytes / sizeof(T)));
  const int64_t round =
      count * p.pooled_h * p.pooled_w >= pixels ? map.channels : block;
  const int64_t slot = map.batch * plane * block;
  std::unique_ptr<T[]> owned;
  T* buffer = TakeHostScratch<T>(scratch, static_cast<size_t>(map.batch * plane * round), &owned);
  std::vector<Layout<T>> layouts;
  for (int64_t c0 = 0; c0 < map.channels; c0 += round) {
    const int64_t c1 = std::min(map.channels, c0 + round);
    ToChannelsLast(map.data, map.batch, map.channels, map.height, map.width, c0, c1, block,
                   tiles.data(), buffer, parallel_for);
    layouts.clear();
    for (int64_t c = c0; c < c1; c += block) {
      const int64_t n = std::min(block, c1 - c);
      layouts.push_back({buffer + (c - c0) / block * slot, plane * n, 1, map.width * n, n, c,
                         c + n, n});
    }
    PoolRois(p, map, layouts.data(), static_cast<int64_t>(layouts.size()), rois, spatial_scale,
             order, y, parallel_for);
  }
}

template void RoIAlignRois<float>(const RoIAlignPooling&, const RoIAlignMap<float>&, const float*,
                                  float, const int64_t*, int64_t, float*, const ParallelFor&,
                                  const HostScratch&);
template void RoIAlignRois<double>(const RoIAlignPooling&, const RoIAlignMap<double>&,
                                   const double*, double, const int64_t*, int64_t, double*,
                                   const ParallelFor&, const HostScratch&);
template void RoIAlignRois<Half>(const RoIAlignPooling&, const RoIAlignMap<Half>&, const Half*,
                                 float, const int64_t*, int64_t, Half*, const ParallelFor&,
                                 const HostScratch&);

}  // namespace ort_roi
