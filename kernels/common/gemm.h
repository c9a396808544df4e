// A cache-blocked matrix product for the CPU kernels, C = A * B with A [m, k]
// row-major and B already packed, built the GotoBLAS way:
// - B comes in panels of nr columns (`GemmPackedB`): the producer of B (an
//   im2col) writes it so, and nothing repacks it;
// - a caller cuts C into blocks of rows by whole panels that share nothing
//   and hands them to ParallelFor; a block (GemmBlock) walks k in slices of
//   kc and packs its slice of A into panels of mr rows, so that the inner loop
//   reads both operands contiguously: one B panel slice (kc x nr) stays in L1
//   while the block's A panels (mc x kc) stream from L2;
// - the micro-kernel of the active vector level (cpu_isa.h, gemm_micro.h)
//   keeps an mr x nr block of C in registers.
// `A` is the accumulation type. Each finished row of a block goes to the
// caller's epilogue in that type, so a bias is added and the result rounded to
// the storage type (float16) once, after the whole sum.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/half.h"

namespace ort_roi {

template <typename A>
using GemmMicro = void (*)(int64_t kc, const A* a, const A* b, A* c, int64_t ldc);

// n float16 values widened to float, and n floats rounded to float16 as
// FloatToHalf rounds (nearest even), with F16C where the active level has it.
void WidenHalves(const Half* in, float* out, int64_t n);
void NarrowToHalves(const float* in, Half* out, int64_t n);

// A micro-kernel and its blocking: C blocks of mr x nr in registers, at most
// mc rows of A per packed block, k in slices of kc.
template <typename A>
struct GemmKernel {
  int64_t mr, nr, mc, kc;
  GemmMicro<A> micro;
};

// The kernel of the active vector level (cpu_isa.h), for A = float or double.
template <typename A>
GemmKernel<A> ActiveGemmKernel();
template <>
GemmKernel<float> ActiveGemmKernel<float>();
template <>
GemmKernel<double> ActiveGemmKernel<double>();

// B [k, n] in panels of nr columns: B[s, p * nr + j] is at
// data[p * panel_stride + s * nr + j] (panel_stride >= k * nr). Columns past n
// in the last panel may hold anything finite: they only reach C's columns
// past n, which no epilogue sees.
template <typename A>
struct GemmPackedB {
  const A* data;
  int64_t panel_stride;
};

// Rows [m0, m0 + mc) of C over panels [p0, p1) of B, where n is B's real
// column count: calls epilogue(row, col, values, count) once per row, values[j]
// being C[row, col + j] for j < count. mc need not be a multiple of mr. A may
// be stored as float16 (TA = Half): packing widens it.
template <typename A, typename TA, typename Epilogue>
void GemmBlock(const GemmKernel<A>& kern, const TA* a, int64_t lda, int64_t m0, int64_t mc, int64_t k,
               const GemmPackedB<A>& b, int64_t p0, int64_t p1, int64_t n, Epilogue&& epilogue) {
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t mp = (mc + mr - 1) / mr * mr;
  const int64_t ldc = (p1 - p0) * nr;
  const int64_t kc_max = std::min(kern.kc, k);
  std::vector<A> c(static_cast<size_t>(mp * ldc), A(0));
  std::vector<A> packed(static_cast<size_t>(mp * std::max<int64_t>(kc_max, 1)));
  std::vector<float> widened(std::is_same_v<TA, Half> ? static_cast<size_t>(kc_max) : 0);
  for (int64_t k0 = 0; k0 < k; k0 += kern.kc) {
    const int64_t kc = std::min(kern.kc, k - k0);
    // A's rows in panels of mr, column by column; rows past mc are zero.
    // Row by row, so that the reads run along W's rows.
    for (int64_t p = 0; p < mp; p += mr) {
      A* panel = packed.data() + p * kc;
      for (int64_t r = 0; r < mr; ++r) {
        if (p + r < mc) {
          const TA* row = a + (m0 + p + r) * lda + k0;
          if (p + r + 1 < mc) {
            // A row's slice is a few cache lines, too short for the hardware
            // to see a stream: fetch the next row's while this one is copied.
            constexpr int64_t kLine = 64 / static_cast<int64_t>(sizeof(TA));
            for (int64_t s = 0; s < kc; s += kLine) __builtin_prefetch(row + lda + s);
          }
          if constexpr (std::is_same_v<TA, Half>) {
            WidenHalves(row, widened.data(), kc);
            for (int64_t s = 0; s < kc; ++s) panel[s * mr + r] = widened[s];
          } else {
            for (int64_t s = 0; s < kc; ++s) panel[s * mr + r] = Load<A>(row[s]);
          }
        } else {
          for (int64_t s = 0; s < kc; ++s) panel[s * mr + r] = A(0);
        }
      }
    }
    for (int64_t p = p0; p < p1; ++p) {
      const A* panel_b = b.data + p * b.panel_stride + k0 * nr;
      for (int64_t i = 0; i < mp; i += mr) {
        kern.micro(kc, packed.data() + i * kc, panel_b, c.data() + i * ldc + (p - p0) * nr, ldc);
      }
    }
  }
  const int64_t col = p0 * nr, count = std::min(ldc, n - col);
  for (int64_t i = 0; i < mc; ++i) epilogue(m0 + i, col, c.data() + i * ldc, count);
}

}  // namespace ort_roi
