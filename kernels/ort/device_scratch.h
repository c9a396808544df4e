// Device scratch for one CUDA Compute call, from ONNX Runtime's allocator for
// the device and tagged with the call's compute stream, as ORT's own CUDA
// kernels take theirs (KernelContext_GetScratchBuffer). Everything handed out
// is freed when this goes out of scope, while kernels queued on the stream may
// still be using it. That is safe only because of the tag: the stream-aware
// arena gives a chunk freed by one stream to another stream only once that
// one has waited for it. A plain Alloc returns an untagged chunk, which the
// next Run on another stream may take at once: with 8 threads sharing one
// session, DeformConv2d's column buffer was overwritten that way.
#pragma once

#include <cstddef>
#include <vector>

#include "ort/op_helpers.h"

namespace ort_roi {

class DeviceScratchPool {
 public:
  DeviceScratchPool(const Ort::KernelContext& ctx, const Ort::ConstValue& on_device_of)
      : ctx_(ctx.GetOrtKernelContext()),
        info_("Cuda", OrtDeviceAllocator, on_device_of.GetTensorMemoryInfo().GetDeviceId(),
              OrtMemTypeDefault) {
    allocator_ = ctx.GetAllocator(*info_);
  }
  DeviceScratchPool(const DeviceScratchPool&) = delete;
  DeviceScratchPool& operator=(const DeviceScratchPool&) = delete;
  ~DeviceScratchPool() {
    for (void* p : blocks_) allocator_->Free(allocator_, p);
    if (allocator_ != nullptr) Ort::GetApi().ReleaseAllocator(allocator_);
  }

  // Null when `bytes` is 0 or the device has no room.
  void* Allocate(size_t bytes) {
    if (bytes == 0 || allocator_ == nullptr) return nullptr;
    void* p = nullptr;
    OrtStatus* st = Ort::GetApi().KernelContext_GetScratchBuffer(ctx_, info_, bytes, &p);
    if (st != nullptr) {
      Ort::GetApi().ReleaseStatus(st);
      return nullptr;
    }
    if (p != nullptr) blocks_.push_back(p);
    return p;
  }

 private:
  OrtKernelContext* ctx_;
  Ort::MemoryInfo info_;
  OrtAllocator* allocator_ = nullptr;
  std::vector<void*> blocks_;
};

}  // namespace ort_roi
