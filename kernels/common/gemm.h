// A cache-blocked matrix product for the CPU kernels, C = A * B, built the
// GotoBLAS way, with A made by the caller slice by slice:
// - B [k, n] comes packed in panels of nr columns (`GemmPackedB`), made
//   ahead (once per call, or once per session for a constant operand) and
//   read by every block of rows;
// - a caller cuts C into blocks of rows that share nothing and hands them to
//   ParallelFor; a block (GemmRows) walks k in slices of kc, has the caller
//   write its rows of A's slice (the deformable im2col samples straight into
//   it, so nothing packs A), and adds the slice times every B panel: one B
//   panel's slice (kc x nr) stays in L1 while the block's rows stream past;
// - the micro-kernel of the active vector level (cpu_isa.h, gemm_micro.h)
//   keeps an mr x nr block of C in registers.
// `A` is the accumulation type; the caller rounds C to its storage type.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/half.h"

namespace ort_roi {

template <typename A>
using GemmMicro = void (*)(int64_t kc, const A* a, const A* b, A* c, int64_t ldc);

// n float16 values widened to float, and n floats rounded to float16 as
// FloatToHalf rounds (nearest even), with F16C where the active level has it.
void WidenHalves(const Half* in, float* out, int64_t n);
void NarrowToHalves(const float* in, Half* out, int64_t n);

// A micro-kernel and its blocking: C blocks of mr x nr in registers, k in
// slices of at most kc, and A's rows kc apart in a slice.
template <typename A>
struct GemmKernel {
  int64_t mr, nr, kc;
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
// in the last panel are zero: they only reach C's columns past n.
template <typename A>
struct GemmPackedB {
  const A* data;
  int64_t panel_stride;
};

// Rows of C per block, rounded up to whole register blocks.
template <typename A>
int64_t GemmPaddedRows(const GemmKernel<A>& kern, int64_t rows) {
  return (rows + kern.mr - 1) / kern.mr * kern.mr;
}

// C[i, j] = sum over s < k of A[i, s] * B[s, j] for i < rows and the
// `panels` panels of B, each sum in increasing s. `c` holds
// GemmPaddedRows(rows) rows `ldc` apart (ldc >= panels * nr), `a` as many
// rows of kern.kc. For each slice, fill(k0, kc, a) writes A[i, k0 + s] to
// a[i * kern.kc + s] for i < rows and s < kc; the padding rows stay zero.
template <typename A, typename Fill>
void GemmRows(const GemmKernel<A>& kern, int64_t rows, int64_t k, const GemmPackedB<A>& b,
              int64_t panels, A* a, A* c, int64_t ldc, Fill&& fill) {
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t mp = GemmPaddedRows(kern, rows);
  std::fill(c, c + mp * ldc, A(0));
  std::fill(a + rows * kern.kc, a + mp * kern.kc, A(0));
  for (int64_t k0 = 0; k0 < k; k0 += kern.kc) {
    const int64_t kc = std::min(kern.kc, k - k0);
    fill(k0, kc, a);
    for (int64_t p = 0; p < panels; ++p) {
      const A* panel_b = b.data + p * b.panel_stride + k0 * nr;
      for (int64_t i = 0; i < mp; i += mr) {
        kern.micro(kc, a + i * kern.kc, panel_b, c + i * ldc + p * nr, ldc);
      }
    }
  }
}

// The same sums as GemmRows, panel by panel: for a B made a panel at a
// time (B too large to pack ahead and read back, for a few rows). `a` holds
// every slice of A's rows, slice s (k0 = s * kern.kc) at a + s * mp *
// kern.kc, mp = GemmPaddedRows(rows); fill writes them all first. Then for
// each panel p < panels, pack(p, panel) writes B's panel p ([k, nr], rows nr
// apart) into `panel`, and every slice adds its product. Each C[i, j] gets
// the same slices in the same order as in GemmRows: the same bits.
template <typename A, typename Fill, typename Pack>
void GemmPanels(const GemmKernel<A>& kern, int64_t rows, int64_t k, int64_t panels, A* a, A* panel,
                A* c, int64_t ldc, Fill&& fill, Pack&& pack) {
  const int64_t mr = kern.mr, nr = kern.nr;
  const int64_t mp = GemmPaddedRows(kern, rows), slice = mp * kern.kc;
  std::fill(c, c + mp * ldc, A(0));
  for (int64_t k0 = 0; k0 < k; k0 += kern.kc) {
    A* at = a + k0 / kern.kc * slice;
    std::fill(at + rows * kern.kc, at + slice, A(0));
    fill(k0, std::min(kern.kc, k - k0), at);
  }
  for (int64_t p = 0; p < panels; ++p) {
    pack(p, panel);
    for (int64_t k0 = 0; k0 < k; k0 += kern.kc) {
      const int64_t kc = std::min(kern.kc, k - k0);
      const A* at = a + k0 / kern.kc * slice;
      for (int64_t i = 0; i < mp; i += mr) {
        kern.micro(kc, at + i * kern.kc, panel + k0 * nr, c + i * ldc + p * nr, ldc);
      }
    }
  }
}

}  // namespace ort_roi
