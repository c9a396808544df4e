// The ops this library runs on CPUExecutionProvider.
#include "ort/ops.h"

namespace ort_roi {

std::vector<const OrtCustomOp*> CpuOps() {
  std::vector<const OrtCustomOp*> all;
  for (auto ops : {
           RoIAlignCpuOps(),
           RoIPoolCpuOps(),
           PSRoIAlignCpuOps(),
           PSRoIPoolCpuOps(),
           MultiScaleRoIAlignCpuOps(),
           NmsCpuOps(),
           BatchedNmsCpuOps(),
           DeformConvCpuOps(),
       }) {
    all.insert(all.end(), ops.begin(), ops.end());
  }
  return all;
}

}  // namespace ort_roi
