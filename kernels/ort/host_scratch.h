// Host scratch for a CPU kernel's call (common/nhwc.h's HostScratch) from
// ORT's CPU allocator: its arena keeps freed blocks for the next run, so a
// large per-call buffer costs no fresh pages each time. Everything handed
// out is freed when this goes out of scope, after the kernel returns.
#pragma once

#include <vector>

#include "common/nhwc.h"
#include "ort/op_helpers.h"

namespace ort_roi {

class HostScratchPool {
 public:
  explicit HostScratchPool(const Ort::KernelContext& ctx) : ctx_(ctx) {}
  ~HostScratchPool() {
    for (void* p : blocks_) allocator_->Free(allocator_, p);
    if (allocator_ != nullptr) Ort::GetApi().ReleaseAllocator(allocator_);
  }
  HostScratchPool(const HostScratchPool&) = delete;
  HostScratchPool& operator=(const HostScratchPool&) = delete;

  HostScratch Get() {
    return [this](size_t bytes) { return Allocate(bytes); };
  }

 private:
  void* Allocate(size_t bytes) {
    if (allocator_ == nullptr) {
      const Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
      allocator_ = ctx_.GetAllocator(*cpu);
    }
    void* p = allocator_->Alloc(allocator_, bytes);
    if (p != nullptr) blocks_.push_back(p);
    return p;  // null: the kernel falls back to new[]
  }

  Ort::KernelContext ctx_;
  OrtAllocator* allocator_ = nullptr;
  std::vector<void*> blocks_;
};

}  // namespace ort_roi
