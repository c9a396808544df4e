// The GEMM micro-kernels of each vector level, and their register blocks.
// Only declarations and constants: the *_avx2.cc / *_avx512.cc files that
// define them include this header (see cpu_isa.h for why nothing inline).
//
// A micro-kernel adds a slice of mr rows of A times one packed B panel to a
// block of C: c[i * ldc + j] += sum over s < kc of a[i * kcmax + s] * b[s * nr
// + j], for i < mr and j < nr, where (mr, nr) is its register block and kcmax
// its longest k slice, below. A's rows are a fixed kcmax apart, so that every
// row's broadcast is one address plus a constant.
#pragma once

#include <cstdint>

namespace ort_roi {

// Plain C++ (gemm.cc) and AVX2 + FMA (gemm_avx2.cc): 6 rows by two vectors.
constexpr int64_t kGemmMrBase = 6;
constexpr int64_t kGemmNrBaseFloat = 16, kGemmNrBaseDouble = 8;
// AVX-512 (gemm_avx512.cc): 14 rows by two vectors, 28 of the 32 registers.
constexpr int64_t kGemmMrAvx512 = 14;
constexpr int64_t kGemmNrAvx512Float = 32, kGemmNrAvx512Double = 16;
// k per slice, 256 in both types: one B panel's slice (kc x nr) is 16 KiB
// (base) or 32 KiB (AVX-512) in either, read from L1 and L2 while each
// block of rows of A goes past it.
// Measured on Zen 4 (DeformConv2d 256 and 512 channels): 128 floats was 3-8%
// slower than 256, and 384 or 512 no faster; 256 doubles against 128 took
// 51-54 ms against 54-55 (256 channels), the same on 512.
constexpr int64_t kGemmKcFloat = 256, kGemmKcDouble = 256;

void GemmMicroAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
void GemmMicroAvx2(int64_t kc, const double* a, const double* b, double* c, int64_t ldc);
void GemmMicroAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc);
void GemmMicroAvx512(int64_t kc, const double* a, const double* b, double* c, int64_t ldc);

// n float16 values (their bits) widened to float, and n floats rounded to
// nearest even float16, with F16C (gemm_avx2.cc).
void WidenHalfAvx2(const uint16_t* in, float* out, int64_t n);
void NarrowHalfAvx2(const float* in, uint16_t* out, int64_t n);

}  // namespace ort_roi
