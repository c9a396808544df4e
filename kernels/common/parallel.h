// How CPU kernels split work without knowing whose thread pool runs it.
// The ORT binding passes one backed by KernelContext_ParallelFor so that the
// session's intra_op_num_threads is honoured; tests and ctypes callers can
// pass Serial().
#pragma once

#include <cstddef>
#include <functional>

namespace ort_roi {

// Calls body(i) once for every i in [0, n), possibly concurrently.
using ParallelFor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& body)>;

inline ParallelFor Serial() {
  return [](std::size_t n, const std::function<void(std::size_t)>& body) {
    for (std::size_t i = 0; i < n; ++i) body(i);
  };
}

}  // namespace ort_roi
