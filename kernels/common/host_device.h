// Marks helpers that both the CPU build (g++) and the CUDA build (nvcc) compile.
#pragma once

#if defined(__CUDACC__)
#define ORT_ROI_HD __host__ __device__ __forceinline__
#else
#define ORT_ROI_HD inline
#endif
