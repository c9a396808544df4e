// Marks helpers that both the CPU build (g++) and the CUDA build (nvcc) compile.
#pragma once

#if defined(__CUDACC__)
#define ORT_ROI_HD __host__ __device__ __forceinline__
#else
#define ORT_ROI_HD inline
#endif

// Unrolls the loop that follows on the device (its trip count known at
// compile time); nothing on the host.
#if defined(__CUDA_ARCH__)
#define ORT_ROI_UNROLL _Pragma("unroll")
#else
#define ORT_ROI_UNROLL
#endif
