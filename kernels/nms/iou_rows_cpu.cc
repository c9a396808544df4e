// Which of iou_rows.h's vector variants the NMS kernels call.
#include "common/cpu_isa.h"
#include "nms/iou_rows.h"

namespace ort_roi {

AnyIouAboveFn VectorAnyIouAbove() {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512: return AnyIouAboveAvx512;
    case Isa::kAvx2: return AnyIouAboveAvx2;
    case Isa::kScalar: break;
  }
#endif
  return nullptr;
}

MarkIouAboveFn VectorMarkIouAbove() {
#if ORT_ROI_X86_VARIANTS
  switch (ActiveIsa()) {
    case Isa::kAvx512: return MarkIouAboveAvx512;
    case Isa::kAvx2: return MarkIouAboveAvx2;
    case Isa::kScalar: break;
  }
#endif
  return nullptr;
}

}  // namespace ort_roi
