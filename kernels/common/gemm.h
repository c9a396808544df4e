// A cache-blocked matrix product for the CPU kernels, C = A * B with A [m, k]
// and B [k, n] row-major, built the GotoBLAS way:
// - C is cut into tiles of kMc rows by kNc columns that share nothing, so a
//   caller hands them to ParallelFor (GemmTileCount, GemmTile);
// - a tile walks k in slices of kKc and packs its slice of A into panels of
//   kMr rows and its slice of B into panels of kNr columns, so the inner loop
//   reads both contiguously: a B panel (kKc x kNr) stays in L1 while the A
//   panels (kMc x kKc) stream from L2;
// - the micro-kernel keeps a kMr x kNr block of C in registers.
// `A` is the accumulation type. Each finished row of a tile goes to the
// caller's epilogue in that type, so a bias is added and the result rounded to
// the storage type (float16) once, after the whole sum.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ort_roi {

template <typename A>
struct GemmBlocking;
template <>
struct GemmBlocking<float> {
  static constexpr int64_t kMr = 6, kNr = 16;  // C block: 12 AVX registers
  static constexpr int64_t kMc = 96, kNc = 256, kKc = 256;
};
template <>
struct GemmBlocking<double> {
  static constexpr int64_t kMr = 6, kNr = 8;
  static constexpr int64_t kMc = 96, kNc = 256, kKc = 192;
};

// c[kMr, kNr] (row stride ldc) += sum over s < kc of a[s*kMr + i] * b[s*kNr + j]:
// one packed A panel times one packed B panel. Defined in gemm.cc, which picks
// the widest vector code the running CPU supports.
void GemmMicroKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
void GemmMicroKernel(int64_t kc, const double* a, const double* b, double* c, int64_t ldc);

template <typename A>
struct GemmOperands {
  int64_t m, n, k;
  const A* a;
  int64_t lda;  // A is [m, k], row stride lda
  const A* b;
  int64_t ldb;  // B is [k, n], row stride ldb
};

template <typename A>
int64_t GemmTileCount(int64_t m, int64_t n) {
  using B = GemmBlocking<A>;
  return ((m + B::kMc - 1) / B::kMc) * ((n + B::kNc - 1) / B::kNc);
}

namespace gemm_detail {

inline int64_t RoundUp(int64_t v, int64_t step) { return (v + step - 1) / step * step; }

// Rows [m0, m0 + mc) x columns [k0, k0 + kc) of A as panels of kMr rows,
// column by column; rows past the end are zero.
template <typename A>
void PackA(const GemmOperands<A>& g, int64_t m0, int64_t mc, int64_t k0, int64_t kc, A* out) {
  constexpr int64_t kMr = GemmBlocking<A>::kMr;
  for (int64_t p = 0; p < mc; p += kMr) {
    A* panel = out + p * kc;
    for (int64_t r = 0; r < kMr; ++r) {
      if (p + r < mc) {
        const A* row = g.a + (m0 + p + r) * g.lda + k0;
        for (int64_t s = 0; s < kc; ++s) panel[s * kMr + r] = row[s];
      } else {
        for (int64_t s = 0; s < kc; ++s) panel[s * kMr + r] = A(0);
      }
    }
  }
}

// Rows [k0, k0 + kc) x columns [n0, n0 + nc) of B as panels of kNr columns,
// row by row; columns past the end are zero.
template <typename A>
void PackB(const GemmOperands<A>& g, int64_t n0, int64_t nc, int64_t k0, int64_t kc, A* out) {
  constexpr int64_t kNr = GemmBlocking<A>::kNr;
  for (int64_t p = 0; p < nc; p += kNr) {
    A* panel = out + p * kc;
    const int64_t width = std::min(kNr, nc - p);
    for (int64_t s = 0; s < kc; ++s) {
      const A* row = g.b + (k0 + s) * g.ldb + n0 + p;
      A* dst = panel + s * kNr;
      for (int64_t j = 0; j < width; ++j) dst[j] = row[j];
      for (int64_t j = width; j < kNr; ++j) dst[j] = A(0);
    }
  }
}

}  // namespace gemm_detail

// Computes tile `tile` (of GemmTileCount) and calls epilogue(row, col, values,
// count) for each of its rows: values[j] is C[row, col + j], j < count.
template <typename A, typename Epilogue>
void GemmTile(const GemmOperands<A>& g, int64_t tile, Epilogue&& epilogue) {
  using B = GemmBlocking<A>;
  using gemm_detail::RoundUp;
  const int64_t col_tiles = (g.n + B::kNc - 1) / B::kNc;
  const int64_t m0 = (tile / col_tiles) * B::kMc, n0 = (tile % col_tiles) * B::kNc;
  const int64_t mc = std::min(B::kMc, g.m - m0), nc = std::min(B::kNc, g.n - n0);
  const int64_t mp = RoundUp(mc, B::kMr), np = RoundUp(nc, B::kNr);
  const int64_t kc_max = std::min(B::kKc, g.k);

  std::vector<A> c(static_cast<size_t>(mp * np), A(0));
  std::vector<A> packed_a(static_cast<size_t>(mp * kc_max)), packed_b(static_cast<size_t>(kc_max * np));
  for (int64_t k0 = 0; k0 < g.k; k0 += B::kKc) {
    const int64_t kc = std::min(B::kKc, g.k - k0);
    gemm_detail::PackA(g, m0, mc, k0, kc, packed_a.data());
    gemm_detail::PackB(g, n0, nc, k0, kc, packed_b.data());
    for (int64_t j = 0; j < np; j += B::kNr) {
      for (int64_t i = 0; i < mp; i += B::kMr) {
        GemmMicroKernel(kc, packed_a.data() + i * kc, packed_b.data() + j * kc, c.data() + i * np + j,
                        np);
      }
    }
  }
  for (int64_t i = 0; i < mc; ++i) epilogue(m0 + i, n0, c.data() + i * np, nc);
}

}  // namespace ort_roi
