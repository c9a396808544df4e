// Every op's OrtCustomOp, one accessor per (op, execution provider). The
// tables in cpu_ops.cc (and cuda_ops.cc when CUDA is built) list them.
#pragma once

#include <vector>

#include "ort/ort_api.h"

namespace ort_roi {

constexpr const char* kCpuProvider = "CPUExecutionProvider";
constexpr const char* kCudaProvider = "CUDAExecutionProvider";

const OrtCustomOp* RoIAlignCpuOp();
const OrtCustomOp* RoIPoolCpuOp();

std::vector<const OrtCustomOp*> CpuOps();
std::vector<const OrtCustomOp*> CudaOps();  // empty when built without CUDA

}  // namespace ort_roi
