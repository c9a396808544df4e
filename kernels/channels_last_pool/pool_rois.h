// The CPU driver that RoIPool, PSRoIPool and PSRoIAlign share: the choice
// between their two paths and the task loops of both. An op's file keeps
// what is its own (the roi's box, the pixels a box reads, how one roi's
// block of channels is pooled) in a struct `Op` with:
//   using Box = ...;   // with `bool finite`; false: the roi gives zeros
//   PoolLayout layout;
//   Box MakeBox(const A* roi) const;      // roi: batch index, x1, y1, x2, y2
//   double Covered(const Box&) const;     // pixels of the map it reads, clipped
//   void PoolChannelsLast(const Box&, const T* image, int64_t pixel_stride, int64_t c0,
//                         int64_t channels, T* out) const;
//   void PoolChannelMajor(const Box&, const T* image, int64_t c_begin, int64_t c_end,
//                         T* out) const;
// `image` is the roi's image, in X or in the channels-last copy (pixels
// `pixel_stride` apart there, and c0 counted from the pixel's first value:
// the copy may hold only a block of the channels, see PlainCopyBlock); `out`
// is the first output channel's first bin.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "channels_last_pool/channels_last_map.h"
#include "common/half.h"
#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/ps_roi_geometry.h"
#include "common/roi_pooling_shape.h"
#include "common/roi_tasks.h"

namespace ort_roi {

// An op's output and how the channels-last path splits it.
struct PoolLayout {
  int64_t out_channels, bins;  // Y is [K, out_channels, bins]
  int64_t copy_bins;           // ToChannelsLast's bins
  int64_t block;               // output channels per task of the channels-last path
};

// RoIPool: Y has X's channels, the copy is plain NHWC.
inline PoolLayout SameChannelsLayout(const RoIPoolingShape& s, int64_t oh, int64_t ow,
                                     int64_t block) {
  return PoolLayout{s.channels, oh * ow, 1, block};
}

// PSRoIPool, PSRoIAlign: X's channels are split over the bins (bins <=
// channels, checked), and the copy puts each bin's output channels together.
inline PoolLayout PositionSensitiveLayout(const RoIPoolingShape& s, int64_t oh, int64_t ow,
                                          int64_t block) {
  return PoolLayout{PSOutputChannels(s.channels, oh, ow), oh * ow, oh * ow, block};
}

// Roi k of [K, 5] in the accumulation type A.
template <typename A, typename T>
void LoadRoi(const T* rois, int64_t k, A* roi) {
  for (int i = 0; i < 5; ++i) roi[i] = Load<A>(rois[k * 5 + i]);
}

// Calls fn(ph, pw, h0, h1, w0, w1) for every bin of a RoIPool-style box:
// rows [h0, h1) and columns [w0, w1), empty when either is.
// `range` is the op's bin bounds (RoIPoolBinRange or PSRoIPoolBinRange).
template <typename Box, typename Range, typename Fn>
void ForEachPoolBin(const Box& box, int64_t oh, int64_t ow, const RoIPoolingShape& s, Range range,
                    const Fn& fn) {
  for (int64_t ph = 0; ph < oh; ++ph) {
    int64_t h0, h1;
    range(box.start_h, box.bin_h, ph, s.height, &h0, &h1);
    for (int64_t pw = 0; pw < ow; ++pw) {
      int64_t w0, w1;
      range(box.start_w, box.bin_w, pw, s.width, &w0, &w1);
      fn(ph, pw, h0, h1, w0, w1);
    }
  }
}

// Pixels under such a box's bins, clipped: from the first bin's top left to
// the last bin's bottom right.
template <typename Box, typename Range>
double PoolBinsArea(const Box& box, int64_t oh, int64_t ow, const RoIPoolingShape& s,
                    Range range) {
  int64_t h0, h1, w0, w1, unused;
  range(box.start_h, box.bin_h, 0, s.height, &h0, &unused);
  range(box.start_h, box.bin_h, oh - 1, s.height, &unused, &h1);
  range(box.start_w, box.bin_w, 0, s.width, &w0, &unused);
  range(box.start_w, box.bin_w, ow - 1, s.width, &unused, &w1);
  return static_cast<double>(std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0));
}

// Pools every roi into y. When the rois, together, cover enough of the map
// (WorthChannelsLast), the map is copied channels-last once (in blocks of
// channels if PlainCopyBlock says so) and each task is a (block of the copy,
// roi, op.block output channels of the block), the rois taken in RoiOrder;
// otherwise the channel-major path reads X in place, split as roi_tasks.h
// says. Both paths give the same bits (channels_last_pool.h). The copy is
// taken from `scratch` (ORT's arena, through the binding) when it has one.
template <typename T, typename Op>
void PoolRois(const Op& op, const RoIPoolingShape& s, const T* x, const T* rois, T* y,
              const ParallelFor& parallel_for, const HostScratch& scratch) {
  using A = typename Acc<T>::type;
  using Box = typename Op::Box;
  const PoolLayout& layout = op.layout;
  if (s.num_rois == 0 || s.channels == 0) return;
  const int64_t image_size = s.channels * s.height * s.width;  // in X and in the copy
  const int64_t roi_size = layout.out_channels * layout.bins;
  double covered = 0;
  for (int64_t k = 0; k < s.num_rois; ++k) {
    A roi[5];
    LoadRoi(rois, k, roi);
    const Box box = op.MakeBox(roi);
    if (box.finite) covered += op.Covered(box);
  }
  // Loads roi k and pools channels [c_begin, c_end) of it from `map` (X or
  // the copy, images `image` apart) with `pool`; a roi with non-finite
  // coordinates gives zeros.
  auto pool_roi = [&](int64_t k, int64_t c_begin, int64_t c_end, const T* map, int64_t image,
                      const auto& pool) {
    T* out = y + k * roi_size + c_begin * layout.bins;
    A roi[5];
    LoadRoi(rois, k, roi);
    const Box box = op.MakeBox(roi);
    if (!box.finite) {
      std::fill(out, out + (c_end - c_begin) * layout.bins, Store<T>(A(0)));
      return;
    }
    pool(box, map + static_cast<int64_t>(roi[0]) * image, out);
  };

  if (!WorthChannelsLast(covered, s)) {
    ForEachRoiChannelBlock(s.num_rois, layout.out_channels, parallel_for,
                           [&](int64_t k, int64_t c_begin, int64_t c_end) {
      pool_roi(k, c_begin, c_end, x, image_size, [&](const Box& box, const T* image, T* out) {
        op.PoolChannelMajor(box, image, c_begin, c_end, out);
      });
    });
    return;
  }
  // Tasks: block of the copy, then roi in RoiOrder, then op.block output
  // channels; the copy is one block (the whole pixel) unless PlainCopyBlock
  // cuts RoIPool's plain one.
  const int64_t plane = s.height * s.width;
  const int64_t cb = layout.copy_bins == 1 ? PlainCopyBlock<T>(s) : layout.out_channels;
  const bool cut = cb < layout.out_channels;
  std::unique_ptr<T[]> owned;
  T* const map = TakeHostScratch<T>(scratch, static_cast<size_t>(image_size * s.batch), &owned);
  if (cut) {
    ToChannelsLast(x, s.batch, s.channels, s.height, s.width, 0, s.channels, cb, nullptr, map,
                   parallel_for);
  } else {
    ToChannelsLast(x, s, layout.copy_bins, map, parallel_for);
  }
  const std::vector<int64_t> order = RoiOrder(rois, s.num_rois);
  const int64_t copy_blocks = (layout.out_channels + cb - 1) / cb;
  const int64_t per_roi = (cb + layout.block - 1) / layout.block;
  parallel_for(static_cast<size_t>(copy_blocks * s.num_rois * per_roi), [&](size_t task) {
    const int64_t t = static_cast<int64_t>(task);
    const int64_t j = t / (s.num_rois * per_roi), k = order[t / per_roi % s.num_rois];
    const int64_t b0 = j * cb, b1 = std::min(layout.out_channels, b0 + cb);
    const int64_t c0 = b0 + t % per_roi * layout.block, c1 = std::min(b1, c0 + layout.block);
    if (c0 >= c1) return;
    // A pixel of block j: its b1 - b0 channels when cut, else all of X's.
    const int64_t pixel = cut ? b1 - b0 : s.channels;
    pool_roi(k, c0, c1, map + j * s.batch * plane * cb, plane * pixel,
             [&](const Box& box, const T* image, T* out) {
      op.PoolChannelsLast(box, image, pixel, c0 - b0, c1 - c0, out);
    });
  });
}

}  // namespace ort_roi
