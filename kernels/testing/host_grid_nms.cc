// NMS's CUDA thread bodies on the host (see host_grid.h and host_nms.h).
#include "testing/host_nms.h"

using namespace ort_roi;  // NOLINT: entry points only

// boxes [n, 4], scores [n]; keep has room for n indices. chunk_rows: see HostGridNms.
ORT_ROI_HOST_GRID_API int ort_roi_host_nms(int type, int64_t n, double iou_threshold,
                                           int64_t chunk_rows, const void* boxes,
                                           const void* scores, int64_t* keep, int64_t* count) {
  const NmsParams p{iou_threshold};
  return DispatchOnnxFloat(type, [&](auto tag) {
    using T = decltype(tag);
    HostGridNms(p, n, static_cast<const T*>(boxes), static_cast<const T*>(scores), nullptr,
                chunk_rows, keep, count);
  });
}

// Bytes of the mask chunk that NMS and BatchedNMS take from device scratch for n boxes.
ORT_ROI_HOST_GRID_API int64_t ort_roi_host_nms_mask_bytes(int64_t n) {
  return NmsMaskWords(n) * static_cast<int64_t>(sizeof(uint64_t));
}
