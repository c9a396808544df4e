// The one place that decides which vector instruction set the CPU kernels use.
//
// One library runs on every x86-64 processor: the vector variants of a kernel
// live in files of their own (`*_avx2.cc`, `*_avx512.cc`, built with the
// matching -m flags, see CMakeLists.txt), and a kernel calls the variant that
// ActiveIsa() names. The plain C++ version is the reference the variants are
// tested against.
//
// Dispatchers test ORT_ROI_X86_VARIANTS (set by CMakeLists.txt) before naming a
// variant: on other processors only the plain C++ kernels are built.
//
// ORT_ROI_ISA=scalar|avx2|avx512 (read once, case-insensitive) caps the level,
// so that every variant can be tested on a machine that has them all; a level
// the processor lacks is never used, and an unknown value means `scalar`.
//
// Rules for variant files, because the linker keeps one copy of every inline
// function and template: a variant file instantiates no inline function or
// template that another file also instantiates (no std containers or
// algorithms, nothing inline from our headers but constexpr values and plain
// structs) and puts everything but its entry points in an anonymous
// namespace. Otherwise the AVX-512 copy of a shared function could be the one
// the scalar path calls.
#pragma once

namespace ort_roi {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// What the processor supports: AVX2 means AVX2, FMA and F16C; AVX-512 means
// F, BW, DQ and VL as well.
Isa DetectedIsa();

// The level the kernels use: DetectedIsa() capped by ORT_ROI_ISA.
Isa ActiveIsa();

const char* IsaName(Isa isa);

}  // namespace ort_roi
