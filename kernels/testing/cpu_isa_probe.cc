// Which vector level the CPU kernels would use in this process, for the tests
// that force each level with ORT_ROI_ISA (tests/test_cpu_isa.py).
#include "common/cpu_isa.h"
#include "testing/host_grid.h"

ORT_ROI_HOST_GRID_API const char* ort_roi_active_isa() { return ort_roi::IsaName(ort_roi::ActiveIsa()); }

ORT_ROI_HOST_GRID_API const char* ort_roi_detected_isa() {
  return ort_roi::IsaName(ort_roi::DetectedIsa());
}
