// The GEMM micro-kernel of gemm_micro.h written once for every vector level:
// gemm_avx2.cc and gemm_avx512.cc each include this file inside their
// anonymous namespace, so that each compiles its own private copy with its
// own instructions (cpu_isa.h says why no copy may be shared). Before
// including it, a variant defines Load, Store, Broadcast and MulAdd for its
// float and double vectors. The block of C is an array that the fully
// unrolled loops turn into registers. Nothing here includes a header; the
// variant includes gemm_micro.h before.
#pragma once

// A kRows x (2 vectors of V) block of C, kept in registers over the kc steps:
// each broadcast of A feeds two fused multiply-adds, each load of B kRows.
// A's rows are kLda apart.
template <typename A, typename V, int kRows, int64_t kLda>
void Micro(int64_t kc, const A* a, const A* b, A* c, int64_t ldc) {
  constexpr int64_t kLanes = static_cast<int64_t>(sizeof(V) / sizeof(A));
  constexpr int64_t kNr = 2 * kLanes;
  A* row[kRows];
  V acc0[kRows], acc1[kRows];
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i) {
    row[i] = c + i * ldc;
    acc0[i] = Load(row[i]);
    acc1[i] = Load(row[i] + kLanes);
  }
  for (int64_t s = 0; s < kc; ++s, ++a, b += kNr) {
    const V b0 = Load(b), b1 = Load(b + kLanes);
#pragma GCC unroll 14
    for (int i = 0; i < kRows; ++i) {
      const V ai = Broadcast(a + i * kLda);
      acc0[i] = MulAdd(ai, b0, acc0[i]);
      acc1[i] = MulAdd(ai, b1, acc1[i]);
    }
  }
#pragma GCC unroll 14
  for (int i = 0; i < kRows; ++i) {
    Store(row[i], acc0[i]);
    Store(row[i] + kLanes, acc1[i]);
  }
}
