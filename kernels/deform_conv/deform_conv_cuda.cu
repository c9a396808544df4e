// DeformConv2d on CUDA: per chunk of positions, the launches of
// deform_conv_cuda_body.h's columns kernel and its tiled GEMM.
#include "common/cuda_launch.cuh"
#include "deform_conv/deform_conv_cuda_body.h"

namespace ort_roi {

namespace {

template <typename T, typename A>
__global__ void DeformColumnsKernel(DeformConvShape s, const T* x, const T* offset, const T* mask,
                                    int64_t q0, int64_t len, A* columns, int64_t threads) {
  ORT_ROI_GRID_STRIDE(i, threads) { DeformColumnThread(s, x, offset, mask, q0, len, columns, i); }
}

// Launched with kGemmThreads threads per block; a block walks every
// gridDim.x-th tile, so any number of tiles fits the grid. Two slices in
// shared memory: a step's loads are issued before the step before is added
// up, and stored to the other slice (see common/gemm_tiles.h).
template <typename T, typename A>
__global__ void __launch_bounds__(kGemmThreads)
    DeformGemmKernel(DeformConvShape s, const T* w, const A* columns, const T* bias, int64_t q0,
                     int64_t len, T* y, int64_t blocks) {
  __shared__ GemmTiles<A> tiles[2];
  const int t = static_cast<int>(threadIdx.x);
  for (int64_t b = blockIdx.x; b < blocks; b += gridDim.x) {
    const DeformGemmBlock<T, A> d = MakeDeformGemmBlock(s, w, columns, len, b);
    A acc[kGemmPerThread][kGemmPerThread];
#pragma unroll
    for (int i = 0; i < kGemmPerThread; ++i) {
#pragma unroll
      for (int j = 0; j < kGemmPerThread; ++j) acc[i][j] = A(0);
    }
    GemmSlice<A> slice;
    GemmLoadSlice(d.op, d.m0, d.n0, 0, t, &slice);
    GemmStoreSlice(slice, t, &tiles[0]);
    __syncthreads();
    int cur = 0;
    for (int64_t k0 = 0; k0 < d.op.k; k0 += kGemmTileK) {
      const bool more = k0 + kGemmTileK < d.op.k;
      if (more) GemmLoadSlice(d.op, d.m0, d.n0, k0 + kGemmTileK, t, &slice);
      GemmTileStep(tiles[cur], t, acc);
      // Nobody reads tiles[cur ^ 1] now: the last barrier ended its step.
      if (more) GemmStoreSlice(slice, t, &tiles[cur ^ 1]);
      __syncthreads();
      cur ^= 1;
    }
    DeformGemmStore(s, d, bias, q0, t, acc, y);
  }
}

inline unsigned GemmGrid(int64_t blocks) {
  return static_cast<unsigned>(std::min<int64_t>(blocks, int64_t{1} << 20));
}

}  // namespace

template <typename T>
int64_t DeformConvCudaScratchBytes(const DeformConvShape& s) {
  using A = typename Acc<T>::type;
  if (s.batch * s.out_height * s.out_width == 0 || s.out_channels == 0) return 0;
  const int64_t rows = s.in_channels * s.kernel_h * s.kernel_w;
  return rows * DeformCudaChunk<A>(s, kDeformCudaChunkBytes) * static_cast<int64_t>(sizeof(A));
}

template <typename T>
Status DeformConvCuda(const DeformConvShape& s, const T* x, const T* w, const T* offset,
                      const T* bias, const T* mask, T* y, void* scratch, void* stream) {
  using A = typename Acc<T>::type;
  if (s.batch * s.out_height * s.out_width == 0 || s.out_channels == 0) return Status::Ok();
  const cudaStream_t st = static_cast<cudaStream_t>(stream);
  A* columns = static_cast<A*>(scratch);
  // One column buffer serves every chunk: the kernels of a chunk run after
  // those of the one before, on the same stream.
  cudaError_t e = cudaSuccess;
  ForEachDeformChunk(s, DeformCudaChunk<A>(s, kDeformCudaChunkBytes), [&](int64_t q0, int64_t len) {
    if (e != cudaSuccess) return;
    const int64_t threads = DeformColumnThreads(s, len);
    if (threads > 0) {
      DeformColumnsKernel<<<Blocks(threads), kThreadsPerBlock, 0, st>>>(s, x, offset, mask, q0, len,
                                                                        columns, threads);
    }
    const int64_t blocks = DeformGemmBlocks(s, len);
    DeformGemmKernel<<<GemmGrid(blocks), kGemmThreads, 0, st>>>(s, w, columns, bias, q0, len, y,
                                                                blocks);
    e = cudaGetLastError();
  });
  return CudaStatus("DeformConv2d", e);
}

template int64_t DeformConvCudaScratchBytes<float>(const DeformConvShape&);
template int64_t DeformConvCudaScratchBytes<double>(const DeformConvShape&);
template int64_t DeformConvCudaScratchBytes<Half>(const DeformConvShape&);
template Status DeformConvCuda<float>(const DeformConvShape&, const float*, const float*,
                                      const float*, const float*, const float*, float*, void*,
                                      void*);
template Status DeformConvCuda<double>(const DeformConvShape&, const double*, const double*,
                                       const double*, const double*, const double*, double*,
                                       void*, void*);
template Status DeformConvCuda<Half>(const DeformConvShape&, const Half*, const Half*, const Half*,
                                     const Half*, const Half*, Half*, void*, void*);

}  // namespace ort_roi
