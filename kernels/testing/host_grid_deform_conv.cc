// DeformConv2d's CUDA thread bodies on the host (see host_grid.h): per chunk,
// the columns grid, then the GEMM block by block, each block's threads going
// through the same phases as on the device (load and store the slice, sync,
// add the step; after the last step, store); the device's second slice only
// changes when the loads are issued, not what is added.
#include <algorithm>
#include <limits>
#include <vector>

#include "deform_conv/deform_conv_cuda_body.h"
#include "testing/host_grid.h"

using namespace ort_roi;  // NOLINT: entry points only

namespace {

template <typename T, typename A>
void RunGemmBlocks(const DeformConvShape& s, const T* w, const A* columns, const T* bias,
                   int64_t q0, int64_t len, T* y) {
  using Acc4 = A[kGemmPerThread][kGemmPerThread];
  std::vector<Acc4> acc(kGemmThreads);
  GemmTiles<A> tiles;  // the block's shared memory
  for (int64_t b = 0; b < DeformGemmBlocks(s, len); ++b) {
    const DeformGemmBlock<T, A> d = MakeDeformGemmBlock(s, w, columns, len, b);
    for (Acc4& a : acc) {
      for (auto& row : a) {
        for (A& v : row) v = A(0);
      }
    }
    for (int64_t k0 = 0; k0 < d.op.k; k0 += kGemmTileK) {
      for (int t = 0; t < kGemmThreads; ++t) {
        GemmSlice<A> slice;
        GemmLoadSlice(d.op, d.m0, d.n0, k0, t, &slice);
        GemmStoreSlice(slice, t, &tiles);
      }
      for (int t = 0; t < kGemmThreads; ++t) GemmTileStep(tiles, t, acc[t]);
    }
    for (int t = 0; t < kGemmThreads; ++t) DeformGemmStore(s, d, bias, q0, t, acc[t], y);
  }
}

}  // namespace

// shape: DeformConvShape's 17 fields in order (batch, in_channels, height,
// width, out_channels, kernel_h, kernel_w, out_height, out_width, stride_h,
// stride_w, pad_top, pad_left, dilation_h, dilation_w, group, offset_group).
// chunk_bytes: the column scratch per chunk (0: the launcher's). bias and
// mask may be null.
ORT_ROI_HOST_GRID_API int ort_roi_host_deform_conv(int type, const int64_t* shape,
                                                   int64_t chunk_bytes, const void* x,
                                                   const void* w, const void* offset,
                                                   const void* bias, const void* mask, void* y) {
  const DeformConvShape s{shape[0],  shape[1],  shape[2],  shape[3],  shape[4],  shape[5],
                          shape[6],  shape[7],  shape[8],  shape[9],  shape[10], shape[11],
                          shape[12], shape[13], shape[14], shape[15], shape[16]};
  if (chunk_bytes <= 0) chunk_bytes = kDeformCudaChunkBytes;
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    using A = typename Acc<T>::type;
    if (s.batch * s.out_height * s.out_width == 0 || s.out_channels == 0) return;
    const int64_t chunk = DeformCudaChunk<A>(s, chunk_bytes);
    std::vector<A> columns(static_cast<size_t>(s.in_channels * s.kernel_h * s.kernel_w * chunk));
    const T* xs = static_cast<const T*>(x);
    const T* os = static_cast<const T*>(offset);
    const T* ms = static_cast<const T*>(mask);
    ForEachDeformChunk(s, chunk, [&](int64_t q0, int64_t len) {
      // NaN, so that an entry the columns grid misses shows in the output.
      std::fill(columns.begin(), columns.end(), std::numeric_limits<A>::quiet_NaN());
      RunGrid(DeformColumnThreads(s, len), [&](int64_t i) {
        DeformColumnThread(s, xs, os, ms, q0, len, columns.data(), i);
      });
      RunGemmBlocks(s, static_cast<const T*>(w), columns.data(), static_cast<const T*>(bias), q0,
                    len, static_cast<T*>(y));
    });
  });
}
