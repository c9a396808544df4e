// What every CUDA launcher shares (nvcc only): block size, a grid that a
// grid-stride loop walks, and a CUDA error as a Status.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "status.h"

namespace ort_roi {

constexpr int kThreadsPerBlock = 256;

// Blocks for `threads` threads; past 2^20 blocks the grid-stride loop takes over.
inline unsigned Blocks(int64_t threads) {
  const int64_t blocks = (threads + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(blocks, 1), int64_t{1} << 20));
}

inline Status CudaStatus(const char* op, cudaError_t e) {
  if (e == cudaSuccess) return Status::Ok();
  return Status::DeviceError(std::string(op) + ": CUDA error " + cudaGetErrorName(e) + ": " +
                             cudaGetErrorString(e));
}

}  // namespace ort_roi

// for (int64_t i ...) over [0, n), each thread taking every stride-th index.
#define ORT_ROI_GRID_STRIDE(i, n)                                                        \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
