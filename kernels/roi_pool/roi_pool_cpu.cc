// RoIPool on the CPU, through channels_last_pool/pool_rois.h. When the rois
// cover enough of the map, the map is copied channels-last once and each bin
// is a max over its pixels with the channels innermost (channels_last_pool/);
// otherwise the channel-major loop below reads the planes in place. Both give
// the same bits (see channels_last_pool.h). Work is split over (roi, block of
// channels); bin bounds are computed once per bin and serve every channel of
// the block.
#include <algorithm>
#include <cfloat>
#include <vector>

#include "channels_last_pool/channels_last_pool.h"
#include "channels_last_pool/pool_rois.h"
#include "common/half.h"
#include "common/nhwc.h"
#include "common/roi_pool_geometry.h"
#include "roi_pool/roi_pool.h"

namespace ort_roi {

namespace {

// Bytes of a channel's run of bins in a task's output tile (see
// PoolChannelsLast): one cache line.
constexpr int64_t kTileBytes = 64;
// Past kStreamBytes of Y in all, Y's lines cannot stay in cache: a task then
// builds its block of Y (at most kStreamTaskBytes) in a buffer of its thread
// and streams it out, so that the stores need not read Y's lines first.
constexpr int64_t kStreamBytes = int64_t{32} << 20;
constexpr int64_t kStreamTaskBytes = int64_t{1} << 20;

template <typename T>
std::vector<T>& ThreadOutput() {
  thread_local std::vector<T> buffer;
  return buffer;
}

template <typename T>
struct RoIPoolPooling {
  using A = typename Acc<T>::type;
  using Box = RoIPoolBox<A>;

  const RoIPoolParams& p;
  const RoIPoolingShape& s;
  // As many channels per channels-last task as a bin call takes.
  PoolLayout layout =
      SameChannelsLayout(s, p.output_height, p.output_width, kPoolBinMaxChannels);
  PoolBinFn<T> max_bin = MaxBinKernel<T>();

  Box MakeBox(const A* roi) const {
    return MakeRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height,
                          p.output_width);
  }

  double Covered(const Box& box) const {
    return PoolBinsArea(box, p.output_height, p.output_width, s, RoIPoolBinRange<A>);
  }

  void PoolChannelsLast(const Box& box, const T* image, int64_t pixel_stride, int64_t c0,
                        int64_t channels, T* out) const {
    // A few bins' results go to a tile first, channels innermost, then to
    // the output a run of bins per channel: written straight, every value
    // would land in a different cache line.
    constexpr int64_t kTileBins = kTileBytes / static_cast<int64_t>(sizeof(T));
    alignas(64) T tile[kTileBins * kPoolBinMaxChannels];
    const int64_t task = channels * layout.bins, bytes = static_cast<int64_t>(sizeof(T));
    const bool stream = s.num_rois * layout.out_channels * layout.bins * bytes >= kStreamBytes &&
                        task * bytes <= kStreamTaskBytes;
    T* const y = out;
    if (stream) {
      std::vector<T>& buffer = ThreadOutput<T>();
      if (buffer.size() < static_cast<size_t>(task)) buffer.resize(static_cast<size_t>(task));
      out = buffer.data();
    }
    for (int64_t b0 = 0; b0 < layout.bins; b0 += kTileBins) {
      const int64_t nb = std::min(kTileBins, layout.bins - b0);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t ph = (b0 + j) / p.output_width, pw = (b0 + j) % p.output_width;
        int64_t h0, h1, w0, w1;
        RoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
        RoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
        T* o = tile + j * channels;
        if (h1 <= h0 || w1 <= w0) {  // an empty bin is 0, as in torchvision
          std::fill(o, o + channels, Store<T>(A(0)));
          continue;
        }
        max_bin(PoolBin<T>{image + (h0 * s.width + w0) * pixel_stride + c0, h1 - h0, w1 - w0,
                           s.width * pixel_stride, pixel_stride, channels, o, 1});
      }
      Transpose(tile, nb, channels, channels, out + b0, layout.bins);
    }
    if (stream) CopyStreaming(out, task, y);
  }

  void PoolChannelMajor(const Box& box, const T* image, int64_t c_begin, int64_t c_end,
                        T* out) const {
    const int64_t plane = s.height * s.width;
    ForEachPoolBin(box, p.output_height, p.output_width, s, RoIPoolBinRange<A>,
                   [&](int64_t ph, int64_t pw, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      const bool empty = h1 <= h0 || w1 <= w0;
      for (int64_t c = c_begin; c < c_end; ++c) {
        const T* xc = image + c * plane;
        // torchvision starts from -FLT_MAX (for every type) and keeps it
        // when every value is NaN or below it; `>` never takes a NaN.
        A best = empty ? A(0) : static_cast<A>(-FLT_MAX);
        for (int64_t r = h0; r < h1; ++r) {
          for (int64_t q = w0; q < w1; ++q) {
            const A v = Load<A>(xc[r * s.width + q]);
            if (v > best) best = v;
          }
        }
        out[(c - c_begin) * layout.bins + ph * p.output_width + pw] = Store<T>(best);
      }
    });
  }
};

}  // namespace

template <typename T>
void RoIPoolCpu(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                const ParallelFor& parallel_for, const HostScratch& scratch) {
  PoolRois(RoIPoolPooling<T>{p, s}, s, x, rois, y, parallel_for, scratch);
}

template void RoIPoolCpu<float>(const RoIPoolParams&, const RoIPoolingShape&,
                                const float*, const float*, float*, const ParallelFor&,
                                const HostScratch&);
template void RoIPoolCpu<double>(const RoIPoolParams&, const RoIPoolingShape&,
                                 const double*, const double*, double*, const ParallelFor&,
                                 const HostScratch&);
template void RoIPoolCpu<Half>(const RoIPoolParams&, const RoIPoolingShape&,
                               const Half*, const Half*, Half*, const ParallelFor&,
                               const HostScratch&);

}  // namespace ort_roi
