// One block of device scratch cut into aligned arrays. Laid out twice with
// the same calls: first with no base, to count the bytes to allocate, then
// on the allocated block.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ort_roi {

class ScratchLayout {
 public:
  explicit ScratchLayout(void* base = nullptr) : base_(static_cast<char*>(base)) {}

  // `count` elements of T, 256-byte aligned (as cudaMalloc aligns); null
  // while counting.
  template <typename T>
  T* Take(int64_t count) {
    const size_t at = bytes_;
    bytes_ += (static_cast<size_t>(count) * sizeof(T) + kAlign - 1) / kAlign * kAlign;
    return base_ == nullptr ? nullptr : reinterpret_cast<T*>(base_ + at);
  }
  void* TakeBytes(size_t bytes) { return Take<unsigned char>(static_cast<int64_t>(bytes)); }

  size_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kAlign = 256;
  char* base_;
  size_t bytes_ = 0;
};

}  // namespace ort_roi
