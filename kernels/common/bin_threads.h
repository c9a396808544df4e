// The launch layout of the roi pooling CUDA kernels (RoIAlign, RoIPool, the
// PS ops, MultiScaleRoIAlign): one thread per (roi, block of channels, bin),
// the bin's column fastest, so that consecutive threads read and write
// neighbouring pixels. Host and device decode a thread index the same way.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace ort_roi {

struct BinGrid {
  int64_t num_rois, channels, per_thread, pooled_h, pooled_w;

  ORT_ROI_HD int64_t blocks() const { return (channels + per_thread - 1) / per_thread; }
  ORT_ROI_HD int64_t threads() const { return num_rois * blocks() * pooled_h * pooled_w; }
};

struct BinThread {
  int64_t k, ph, pw;
  int64_t c0;       // the first channel of the thread's block
  int64_t count_c;  // how many of the block's channels exist (the last block may be short)
};

// A thread index as (roi, channel block, row, column). A GPU divides 64-bit
// integers in a software routine of dozens of instructions, 32-bit ones in
// a few: a grid of fewer than 2^32 threads (all but absurd ones) decodes in
// 32 bits, a larger one in 64. MultiScaleRoIAlign's kernel ran about 11%
// faster for it on an H100 (README, "CUDA").
ORT_ROI_HD BinThread ThreadAt(const BinGrid& g, int64_t index) {
  const int64_t blocks = g.blocks();
  BinThread t;
  if (g.threads() <= 0xFFFFFFFF) {  // then so is every index and every factor of it
    const uint32_t w = static_cast<uint32_t>(g.pooled_w), h = static_cast<uint32_t>(g.pooled_h);
    const uint32_t b = static_cast<uint32_t>(blocks);
    const uint32_t row = static_cast<uint32_t>(index) / w;  // index over (k, block, ph)
    const uint32_t plane = row / h;                          // index over (k, block)
    t.pw = static_cast<uint32_t>(index) - row * w;
    t.ph = row - plane * h;
    t.k = plane / b;
    t.c0 = (plane - static_cast<uint32_t>(t.k) * b) * g.per_thread;
  } else {
    t.pw = index % g.pooled_w;
    t.ph = index / g.pooled_w % g.pooled_h;
    const int64_t bins = g.pooled_h * g.pooled_w;
    t.c0 = index / bins % blocks * g.per_thread;
    t.k = index / (bins * blocks);
  }
  t.count_c = g.channels - t.c0 < g.per_thread ? g.channels - t.c0 : g.per_thread;
  return t;
}

// body(c) for each of a thread's `count` (<= kBlock) channels. A full block's
// loop is unrolled on the device, so that every channel's loads are issued
// before any sum waits for one. In a loop of unknown length each iteration
// ends in a branch on `count`, which no load is moved above: a channel's
// loads would wait for the previous channel's sums, one memory round trip
// per channel.
template <int64_t kBlock, typename Body>
ORT_ROI_HD void ForChannels(int64_t count, const Body& body) {
  if (count == kBlock) {
    ORT_ROI_UNROLL
    for (int64_t c = 0; c < kBlock; ++c) body(c);
  } else {
    for (int64_t c = 0; c < count; ++c) body(c);
  }
}

}  // namespace ort_roi
