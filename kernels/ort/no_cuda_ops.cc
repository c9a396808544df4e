// Built in place of cuda_ops.cc when the library is built without CUDA.
#include "ort/ops.h"

namespace ort_roi {

std::vector<const OrtCustomOp*> CudaOps() { return {}; }

}  // namespace ort_roi
