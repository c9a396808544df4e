// What the host-grid entry points share (see host_grid_roi_align.cc for one).
//
// Each host_grid_<op>.cc runs a CUDA kernel's per-thread body over its whole
// launch grid on the host, one thread index after another, for the CPU test
// suite (tests/host_grid.py): the CUDA arithmetic and indexing are then
// tested on every machine, GPU or not. They build into their own small
// library, libort_roi_host_grid; libort_roi does not contain them.
//
// Every entry point takes the ONNX element type of its float data (1 float,
// 11 double, 10 float16) and returns 0, or -1 for a type it does not know.
#pragma once

#include <cstdint>

#include "common/half.h"

#define ORT_ROI_HOST_GRID_API extern "C" __attribute__((visibility("default")))

namespace ort_roi {

// Calls fn(T{}) with T the storage type of ONNX element type `onnx_type`.
template <typename Fn>
int DispatchOnnxFloat(int onnx_type, const Fn& fn) {
  switch (onnx_type) {
    case 1: fn(float{}); return 0;
    case 11: fn(double{}); return 0;
    case 10: fn(Half{}); return 0;
    default: return -1;
  }
}

// Runs body(i) for every thread index i of a launch of `threads` threads.
template <typename Body>
void RunGrid(int64_t threads, const Body& body) {
  for (int64_t i = 0; i < threads; ++i) body(i);
}

}  // namespace ort_roi
