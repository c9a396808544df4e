// The ops this library runs on CUDAExecutionProvider (a build with CUDA;
// no_cuda_ops.cc stands in otherwise). An op missing here runs on the CPU
// when a session has the CUDA provider, with ORT copying its inputs over.
#include "ort/ops.h"

namespace ort_roi {

std::vector<const OrtCustomOp*> CudaOps() {
  std::vector<const OrtCustomOp*> all;
  for (auto ops : {
           RoIAlignCudaOps(),
           RoIPoolCudaOps(),
           PSRoIAlignCudaOps(),
           PSRoIPoolCudaOps(),
           MultiScaleRoIAlignCudaOps(),
           DeformConvCudaOps(),
           NmsCudaOps(),
           BatchedNmsCudaOps(),
       }) {
    all.insert(all.end(), ops.begin(), ops.end());
  }
  return all;
}

}  // namespace ort_roi
