// A tiled matrix product for CUDA kernels, C = A * B with A [m, k] and B [k, n]
// row-major, as host-and-device pieces so that the CPU tests can run it on the
// host block by block (kernels/testing/), exactly as the device does.
//
// A block of kGemmThreads (64) threads computes a kGemmTile x kGemmTile
// (64 x 64) tile of C, each thread 8 x 8 outputs in registers: rows
// 4 ty + {0..3} and 32 + 4 ty + {0..3}, columns 4 tx + {0..3} and
// 32 + 4 tx + {0..3} (ty = t / 8, tx = t % 8). A k step then reads four runs
// of 4 values from shared memory (vector loads on the device) for 64
// multiply-adds: the arithmetic, not shared memory, sets the pace.
//
// k goes in steps of kGemmTileK. Each thread loads its share of both
// operands' slices from global memory into registers (GemmLoadSlice), stores
// it to shared memory (GemmStoreSlice), and after a barrier adds the step to
// its outputs (GemmTileStep). The device issues the next step's loads before
// the current step's arithmetic and keeps two slices in shared memory, so a
// step waits on no load and needs one barrier. A kernel's epilogue then
// writes each output (GemmOutputRow, GemmOutputCol say where).
//
// Each output is one chain of fused multiply-adds over k in increasing
// order, from zero. A fused multiply-add rounds once, so the host
// (std::fma) and the device (CUDA's fma) give the same bits.
#pragma once

#include <cmath>
#include <cstdint>

#include "half.h"
#include "host_device.h"

namespace ort_roi {

constexpr int kGemmTile = 64;       // C rows and columns per block
constexpr int kGemmTileK = 8;       // k per shared-memory step
constexpr int kGemmThreads = 64;    // threads per block, 8 x 8
constexpr int kGemmPerThread = 8;   // outputs per thread per side
// a's rows padded by 4: the slice's stores (8 k of 4 rows a warp) fall in
// distinct banks, and each row still starts 16-byte aligned.
constexpr int kGemmPadTile = kGemmTile + 4;
// Values each thread loads per step, of each operand.
constexpr int kGemmSliceLoads = kGemmTile * kGemmTileK / kGemmThreads;
// GemmLoadSlice's mapping: a thread per column of B's slice, a load per k.
static_assert(kGemmThreads == kGemmTile && kGemmSliceLoads == kGemmTileK, "slice mapping");

// One step's slices in shared memory, in the accumulation type A: a[kk][row]
// (A transposed, so that a thread's rows for one kk are contiguous) and
// b[kk][col].
template <typename A>
struct GemmTiles {
  alignas(16) A a[kGemmTileK][kGemmPadTile];
  alignas(16) A b[kGemmTileK][kGemmTile];
};

// A thread's share of one step, between its global loads and its shared stores.
template <typename A>
struct GemmSlice {
  A a[kGemmSliceLoads];
  A b[kGemmSliceLoads];
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

// Thread t's share of the slice k0 .. k0 + kGemmTileK of the tile whose
// first row is m0 and first column n0: A's entries (row t / 8 + 8 u, k t % 8)
// and B's (k u, column t), so that consecutive threads read consecutive
// addresses of B and of each row of A. Entries outside the matrices are zero.
template <typename TA, typename A>
ORT_ROI_HD void GemmLoadSlice(const GemmOperandsDevice<TA, A>& g, int64_t m0, int64_t n0,
                              int64_t k0, int t, GemmSlice<A>* s) {
  const int64_t ka = k0 + t % kGemmTileK, col = n0 + t;
  ORT_ROI_UNROLL
  for (int u = 0; u < kGemmSliceLoads; ++u) {
    const int64_t row = m0 + t / kGemmTileK + u * (kGemmThreads / kGemmTileK);
    s->a[u] = row < g.m && ka < g.k ? Load<A>(g.a[row * g.lda + ka]) : A(0);
    const int64_t kb = k0 + u;
    s->b[u] = kb < g.k && col < g.n ? g.b[kb * g.ldb + col] : A(0);
  }
}

template <typename A>
ORT_ROI_HD void GemmStoreSlice(const GemmSlice<A>& s, int t, GemmTiles<A>* tiles) {
  ORT_ROI_UNROLL
  for (int u = 0; u < kGemmSliceLoads; ++u) {
    tiles->a[t % kGemmTileK][t / kGemmTileK + u * (kGemmThreads / kGemmTileK)] = s.a[u];
    tiles->b[u][t] = s.b[u];
  }
}

// The tile row and column of output (i, j) of thread t.
ORT_ROI_HD int GemmOutputRow(int t, int i) {
  return (i < 4 ? 0 : kGemmTile / 2) + 4 * (t / 8) + i % 4;
}
ORT_ROI_HD int GemmOutputCol(int t, int j) {
  return (j < 4 ? 0 : kGemmTile / 2) + 4 * (t % 8) + j % 4;
}

// a * b + c rounded once (float or double): CUDA's fma overloads on the
// device, fused whatever -fmad says.
template <typename A>
ORT_ROI_HD A GemmFma(A a, A b, A c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// Four values from a 16-byte aligned run in shared memory: one vector load
// (two for double) on the device.
ORT_ROI_HD void GemmLoad4(const float* p, float* out) {
#if defined(__CUDA_ARCH__)
  const float4 v = *reinterpret_cast<const float4*>(p);
  out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
#else
  for (int i = 0; i < 4; ++i) out[i] = p[i];
#endif
}
ORT_ROI_HD void GemmLoad4(const double* p, double* out) {
#if defined(__CUDA_ARCH__)
  const double2 v = *reinterpret_cast<const double2*>(p);
  const double2 w = *reinterpret_cast<const double2*>(p + 2);
  out[0] = v.x, out[1] = v.y, out[2] = w.x, out[3] = w.y;
#else
  for (int i = 0; i < 4; ++i) out[i] = p[i];
#endif
}

// Adds one step to thread t's outputs: acc[i][j] = fma(a[kk][row i],
// b[kk][col j], acc[i][j]) for kk in order. Slice entries past k are zero,
// and a product of zero leaves a sum unchanged.
template <typename A>
ORT_ROI_HD void GemmTileStep(const GemmTiles<A>& tiles, int t,
                             A (&acc)[kGemmPerThread][kGemmPerThread]) {
  const int r = 4 * (t / 8), c = 4 * (t % 8);
  ORT_ROI_UNROLL
  for (int kk = 0; kk < kGemmTileK; ++kk) {
    A a[kGemmPerThread], b[kGemmPerThread];
    GemmLoad4(&tiles.a[kk][r], a);
    GemmLoad4(&tiles.a[kk][kGemmTile / 2 + r], a + 4);
    GemmLoad4(&tiles.b[kk][c], b);
    GemmLoad4(&tiles.b[kk][kGemmTile / 2 + c], b + 4);
    ORT_ROI_UNROLL
    for (int i = 0; i < kGemmPerThread; ++i) {
      ORT_ROI_UNROLL
      for (int j = 0; j < kGemmPerThread; ++j) acc[i][j] = GemmFma(a[i], b[j], acc[i][j]);
    }
  }
}

}  // namespace ort_roi
