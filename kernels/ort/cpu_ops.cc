// The ops this library runs on CPUExecutionProvider.
#include "ort/ops.h"

namespace ort_roi {

std::vector<const OrtCustomOp*> CpuOps() {
  return {
      RoIAlignCpuOp(),
      RoIPoolCpuOp(),
  };
}

}  // namespace ort_roi
