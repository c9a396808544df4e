#include "common/cpu_isa.h"

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace ort_roi {
namespace {

Isa CapFromEnvironment() {
  const char* value = std::getenv("ORT_ROI_ISA");
  if (value == nullptr) return Isa::kAvx512;
  char lower[16] = {};
  for (std::size_t i = 0; value[i] != '\0' && i + 1 < sizeof(lower); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(value[i])));
  }
  if (std::strcmp(lower, "avx512") == 0) return Isa::kAvx512;
  if (std::strcmp(lower, "avx2") == 0) return Isa::kAvx2;
  return Isa::kScalar;
}

}  // namespace

Isa DetectedIsa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  if (avx512) return Isa::kAvx512;
  if (avx2) return Isa::kAvx2;
#endif
  return Isa::kScalar;
}

Isa ActiveIsa() {
  static const Isa active = [] {
    const Isa detected = DetectedIsa();
    const Isa cap = CapFromEnvironment();
    return static_cast<int>(cap) < static_cast<int>(detected) ? cap : detected;
  }();
  return active;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    case Isa::kScalar: break;
  }
  return "scalar";
}

}  // namespace ort_roi
