// A tiled matrix product for CUDA kernels, C = A * B with A [m, k] and B [k, n]
// row-major, as host-and-device pieces so that the CPU tests can run it on the
// host block by block (kernels/testing/), exactly as the device does.
//
// A block of kGemmThreads threads computes a kGemmTile x kGemmTile tile of C.
// It walks k in steps of kGemmTileK: every thread loads its share of both
// operands' slices into shared memory (GemmLoadTiles), the block syncs, every
// thread adds the step to its kGemmPerThread x kGemmPerThread outputs, kept
// in registers (GemmTileStep), the block syncs again. A kernel's epilogue
// then writes each output (GemmOutputRow, GemmOutputCol say where).
//
// Each output is one sum over k in increasing order, starting from zero: the
// same arithmetic on the host and on a device built with -fmad=false.
#pragma once

#include <cstdint>

#include "half.h"
#include "host_device.h"

namespace ort_roi {

constexpr int64_t kGemmTile = 64;     // C rows and columns per block
constexpr int64_t kGemmTileK = 16;    // k per shared-memory step
constexpr int64_t kGemmThreadSide = 16;  // threads per block: kGemmThreadSide^2
constexpr int64_t kGemmThreads = kGemmThreadSide * kGemmThreadSide;
constexpr int64_t kGemmPerThread = kGemmTile / kGemmThreadSide;  // outputs per thread per side

// One step's slices, in the accumulation type A: a[kk][row] (A transposed, so
// that a thread reads its rows' values for one kk close together) and b[kk][col].
template <typename A>
struct GemmTiles {
  A a[kGemmTileK][kGemmTile];
  A b[kGemmTileK][kGemmTile];
};

// The operands: A of storage type TA (float16 weights are widened on load),
// B of type A.
template <typename TA, typename A>
struct GemmOperandsDevice {
  int64_t m, n, k;
  const TA* a;
  int64_t lda;
  const A* b;
  int64_t ldb;
};

// Thread `t` of the block loads its share of the slice k0 .. k0 + kGemmTileK
// for the tile whose first row is m0 and first column n0. Entries outside the
// matrices are zero.
template <typename TA, typename A>
ORT_ROI_HD void GemmLoadTiles(const GemmOperandsDevice<TA, A>& g, int64_t m0, int64_t n0,
                              int64_t k0, int64_t t, GemmTiles<A>* tiles) {
  constexpr int64_t kPerThread = kGemmTile * kGemmTileK / kGemmThreads;
  for (int64_t u = 0; u < kPerThread; ++u) {
    const int64_t e = t + u * kGemmThreads;
    // A: consecutive threads read consecutive k of a row.
    const int64_t row = e / kGemmTileK, ka = e % kGemmTileK;
    const bool a_in = m0 + row < g.m && k0 + ka < g.k;
    tiles->a[ka][row] = a_in ? Load<A>(g.a[(m0 + row) * g.lda + k0 + ka]) : A(0);
    // B: consecutive threads read consecutive columns of a row.
    const int64_t kb = e / kGemmTile, col = e % kGemmTile;
    const bool b_in = k0 + kb < g.k && n0 + col < g.n;
    tiles->b[kb][col] = b_in ? g.b[(k0 + kb) * g.ldb + n0 + col] : A(0);
  }
}

// The tile row and column of output (i, j) of thread t: rows ty, ty + 16, ...
// and columns tx, tx + 16, ..., so that a warp reads distinct banks of b.
ORT_ROI_HD int64_t GemmOutputRow(int64_t t, int64_t i) {
  return t / kGemmThreadSide + i * kGemmThreadSide;
}
ORT_ROI_HD int64_t GemmOutputCol(int64_t t, int64_t j) {
  return t % kGemmThreadSide + j * kGemmThreadSide;
}

// Adds one step to thread t's outputs: acc[i][j] += a[kk][row i] * b[kk][col j]
// for kk in order. Slice entries past k are zero, and the products of zeros
// leave a sum unchanged.
template <typename A>
ORT_ROI_HD void GemmTileStep(const GemmTiles<A>& tiles, int64_t t,
                             A (&acc)[kGemmPerThread][kGemmPerThread]) {
  for (int64_t kk = 0; kk < kGemmTileK; ++kk) {
    A a[kGemmPerThread], b[kGemmPerThread];
    for (int64_t i = 0; i < kGemmPerThread; ++i) a[i] = tiles.a[kk][GemmOutputRow(t, i)];
    for (int64_t j = 0; j < kGemmPerThread; ++j) b[j] = tiles.b[kk][GemmOutputCol(t, j)];
    for (int64_t i = 0; i < kGemmPerThread; ++i) {
      for (int64_t j = 0; j < kGemmPerThread; ++j) acc[i][j] += a[i] * b[j];
    }
  }
}

}  // namespace ort_roi
