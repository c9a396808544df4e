// Every op's OrtCustomOps, one accessor per (op, execution provider), each
// giving the op's registrations (see custom_op.h for how many). The
// tables in cpu_ops.cc (and cuda_ops.cc when CUDA is built) list them.
#pragma once

#include <vector>

#include "ort/ort_api.h"

namespace ort_roi {

constexpr const char* kCpuProvider = "CPUExecutionProvider";
constexpr const char* kCudaProvider = "CUDAExecutionProvider";

std::vector<const OrtCustomOp*> RoIAlignCpuOps();
std::vector<const OrtCustomOp*> RoIPoolCpuOps();
std::vector<const OrtCustomOp*> PSRoIAlignCpuOps();
std::vector<const OrtCustomOp*> PSRoIPoolCpuOps();
std::vector<const OrtCustomOp*> MultiScaleRoIAlignCpuOps();
std::vector<const OrtCustomOp*> NmsCpuOps();
std::vector<const OrtCustomOp*> BatchedNmsCpuOps();
std::vector<const OrtCustomOp*> DeformConvCpuOps();

// Built with CUDA only (cuda_ops.cc lists them).
std::vector<const OrtCustomOp*> RoIAlignCudaOps();
std::vector<const OrtCustomOp*> RoIPoolCudaOps();
std::vector<const OrtCustomOp*> PSRoIAlignCudaOps();
std::vector<const OrtCustomOp*> PSRoIPoolCudaOps();
std::vector<const OrtCustomOp*> MultiScaleRoIAlignCudaOps();
std::vector<const OrtCustomOp*> DeformConvCudaOps();
std::vector<const OrtCustomOp*> NmsCudaOps();
std::vector<const OrtCustomOp*> BatchedNmsCudaOps();

std::vector<const OrtCustomOp*> CpuOps();
std::vector<const OrtCustomOp*> CudaOps();  // empty when built without CUDA

}  // namespace ort_roi
