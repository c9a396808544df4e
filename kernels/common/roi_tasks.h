// How the CPU roi kernels split their work: over (roi, block of channels).
// That gives enough tasks to keep the pool busy with few rois, and lets each
// task build its roi's geometry (sampling weights, bin bounds) once and reuse
// it for every channel of its block.
#pragma once

#include <algorithm>
#include <cstdint>

#include "parallel.h"

namespace ort_roi {

constexpr int64_t kRoiChannelsPerTask = 16;

// Calls task(k, c_begin, c_end) for every roi k and block of its channels.
template <typename Task>
void ForEachRoiChannelBlock(int64_t num_rois, int64_t channels, const ParallelFor& parallel_for,
                            const Task& task) {
  const int64_t blocks = (channels + kRoiChannelsPerTask - 1) / kRoiChannelsPerTask;
  if (num_rois == 0 || blocks == 0) return;
  parallel_for(static_cast<size_t>(num_rois * blocks), [&](size_t t) {
    const int64_t k = static_cast<int64_t>(t) / blocks;
    const int64_t c_begin = (static_cast<int64_t>(t) % blocks) * kRoiChannelsPerTask;
    task(k, c_begin, std::min(channels, c_begin + kRoiChannelsPerTask));
  });
}

}  // namespace ort_roi
