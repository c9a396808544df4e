// The steps of NMS on CUDA, which BatchedNMS's CUDA kernel reuses (defined
// in nms_cuda.cu; see nms_cuda_body.h for the scheme).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "nms/nms.h"

namespace ort_roi {

// Where NmsCudaLaunch leaves its answer, in device memory: keep[0, *count),
// the kept boxes' indices, best first.
struct NmsDeviceKeep {
  int64_t* keep = nullptr;
  int64_t* count = nullptr;
};

// Bytes of scratch one NmsCudaLaunch on n > 0 boxes needs, with or without classes.
template <typename T>
size_t NmsCudaScratchBytes(int64_t n, bool with_classes);

// NMS of boxes [n, 4] by scores [n] on the device, up to the keep list, on
// `stream`; waits for nothing. With `classes` [n], boxes of different
// classes never suppress each other (BatchedNMS per class), and the keep
// list comes in the same order as without them. `scratch` holds
// NmsCudaScratchBytes(n, classes != nullptr) bytes, and *out points into it.
template <typename T>
Status NmsCudaLaunch(const NmsParams& p, int64_t n, const T* boxes, const T* scores,
                     const int64_t* classes, void* scratch, void* stream, NmsDeviceKeep* out);

// The count to the host (one copy, one wait for the stream), the output
// allocated, and the kept indices copied into it without waiting.
Status NmsCudaFinish(const char* op, const NmsDeviceKeep& keep, const KeepOutput& keep_output,
                     void* stream);

}  // namespace ort_roi
