// RoIPool on the CPU. When the rois cover enough of the map, the map is
// copied channels-last once and each bin is a max over its pixels with the
// channels innermost (channels_last_pool/); otherwise the channel-major loop
// below reads the planes in place. Both give the same bits (see
// channels_last_pool.h). Work is split over (roi, block of channels); bin
// bounds are computed once per bin and serve every channel of the block.
#include <algorithm>
#include <cfloat>

#include "channels_last_pool/channels_last_map.h"
#include "channels_last_pool/channels_last_pool.h"
#include "common/half.h"
#include "common/roi_pool_geometry.h"
#include "common/roi_tasks.h"
#include "roi_pool/roi_pool.h"

namespace ort_roi {

namespace {

// Channels per task of the channels-last path: as many as a bin call takes.
constexpr int64_t kChannelsLastBlock = kPoolBinMaxChannels;
// Bytes of a channel's run of bins in a task's output tile (see
// ChannelsLast): one cache line.
constexpr int64_t kTileBytes = 64;

template <typename A>
RoIPoolBox<A> LoadBox(const RoIPoolParams& p, const A* roi) {
  return MakeRoIPoolBox(roi + 1, static_cast<A>(p.spatial_scale), p.output_height,
                        p.output_width);
}

// Pixels of the map under the roi's bins, clipped: what pooling it reads.
template <typename T>
double CoveredPixels(const RoIPoolParams& p, const RoIPoolingShape& s, const T* rois) {
  using A = typename Acc<T>::type;
  double covered = 0;
  for (int64_t k = 0; k < s.num_rois; ++k) {
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) continue;
    int64_t h0, h1, w0, w1, unused;
    RoIPoolBinRange(box.start_h, box.bin_h, 0, s.height, &h0, &unused);
    RoIPoolBinRange(box.start_h, box.bin_h, p.output_height - 1, s.height, &unused, &h1);
    RoIPoolBinRange(box.start_w, box.bin_w, 0, s.width, &w0, &unused);
    RoIPoolBinRange(box.start_w, box.bin_w, p.output_width - 1, s.width, &unused, &w1);
    covered += static_cast<double>(std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0));
  }
  return covered;
}

template <typename T>
void ChannelsLast(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const std::unique_ptr<T[]> map = ToChannelsLast(x, s, 1, parallel_for);
  const PoolBinFn<T> max_bin = MaxBinKernel<T>();
  const int64_t bins = p.output_height * p.output_width;
  const std::vector<int64_t> order = RoiOrder(rois, s.num_rois);
  const int64_t blocks = (s.channels + kChannelsLastBlock - 1) / kChannelsLastBlock;
  parallel_for(static_cast<size_t>(s.num_rois * blocks), [&](size_t t) {
    const int64_t k = order[static_cast<int64_t>(t) / blocks];
    const int64_t c0 = (static_cast<int64_t>(t) % blocks) * kChannelsLastBlock;
    const int64_t block = std::min(kChannelsLastBlock, s.channels - c0);
    T* out = y + (k * s.channels + c0) * bins;
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) {
      std::fill(out, out + block * bins, Store<T>(A(0)));
      return;
    }
    const T* image = map.get() + static_cast<int64_t>(roi[0]) * s.height * s.width * s.channels;
    // A few bins' results go to a tile first, channels innermost, then to
    // the output a run of bins per channel: written straight, every value
    // would land in a different cache line.
    constexpr int64_t kTileBins = kTileBytes / static_cast<int64_t>(sizeof(T));
    alignas(64) T tile[kTileBins * kChannelsLastBlock];
    for (int64_t b0 = 0; b0 < bins; b0 += kTileBins) {
      const int64_t nb = std::min(kTileBins, bins - b0);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t ph = (b0 + j) / p.output_width, pw = (b0 + j) % p.output_width;
        int64_t h0, h1, w0, w1;
        RoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
        RoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
        T* o = tile + j * block;
        if (h1 <= h0 || w1 <= w0) {  // an empty bin is 0, as in torchvision
          std::fill(o, o + block, Store<T>(A(0)));
          continue;
        }
        max_bin(PoolBin<T>{image + (h0 * s.width + w0) * s.channels + c0, h1 - h0, w1 - w0,
                           s.width * s.channels, s.channels, block, o, 1});
      }
      for (int64_t c = 0; c < block; ++c) {
        for (int64_t j = 0; j < nb; ++j) out[c * bins + b0 + j] = tile[j * block + c];
      }
    }
  });
}

template <typename T>
void ChannelMajor(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois,
                  T* y, const ParallelFor& parallel_for) {
  using A = typename Acc<T>::type;
  const int64_t bins = p.output_height * p.output_width;
  const int64_t plane = s.height * s.width;
  ForEachRoiChannelBlock(s.num_rois, s.channels, parallel_for,
                         [&](int64_t k, int64_t c_begin, int64_t c_end) {
    T* out = y + (k * s.channels + c_begin) * bins;
    A roi[5];
    for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
    const RoIPoolBox<A> box = LoadBox(p, roi);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * bins, Store<T>(A(0)));
      return;
    }
    const T* image = x + static_cast<int64_t>(roi[0]) * s.channels * plane;
    for (int64_t ph = 0; ph < p.output_height; ++ph) {
      int64_t h0, h1;
      RoIPoolBinRange(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
      for (int64_t pw = 0; pw < p.output_width; ++pw) {
        int64_t w0, w1;
        RoIPoolBinRange(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
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
          out[(c - c_begin) * bins + ph * p.output_width + pw] = Store<T>(best);
        }
      }
    }
  });
}

}  // namespace

template <typename T>
void RoIPoolCpu(const RoIPoolParams& p, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
                const ParallelFor& parallel_for) {
  if (s.num_rois == 0 || s.channels == 0) return;
  if (WorthChannelsLast(CoveredPixels(p, s, rois), s)) {
    ChannelsLast(p, s, x, rois, y, parallel_for);
  } else {
    ChannelMajor(p, s, x, rois, y, parallel_for);
  }
}

template void RoIPoolCpu<float>(const RoIPoolParams&, const RoIPoolingShape&, const float*,
                                const float*, float*, const ParallelFor&);
template void RoIPoolCpu<double>(const RoIPoolParams&, const RoIPoolingShape&, const double*,
                                 const double*, double*, const ParallelFor&);
template void RoIPoolCpu<Half>(const RoIPoolParams&, const RoIPoolingShape&, const Half*,
                               const Half*, Half*, const ParallelFor&);

}  // namespace ort_roi
