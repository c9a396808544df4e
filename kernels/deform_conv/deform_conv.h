// DeformConv2d (torchvision.ops.deform_conv2d) with the attributes of ONNX
// DeformConv: every kernel tap samples the input bilinearly at its regular
// position moved by a learned offset, optionally scaled by a mask (DCNv2),
// and the samples are then combined as in a grouped convolution.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/half.h"
#include "common/nhwc.h"
#include "common/parallel.h"
#include "common/status.h"
#include "common/tensor_desc.h"

namespace ort_roi {

// The node's attributes as written; an empty list takes ONNX's default.
struct DeformConvParams {
  std::vector<int64_t> strides;       // (h, w); default 1, 1
  std::vector<int64_t> pads;          // (top, left, bottom, right); default 0
  std::vector<int64_t> dilations;     // (h, w); default 1, 1
  std::vector<int64_t> kernel_shape;  // (kh, kw); default W's dims 2 and 3
  int64_t group = 1;
  int64_t offset_group = 1;
};

// Everything the kernel needs, resolved and checked. Pointers follow:
// x [batch, in_channels, height, width], w [out_channels, in_channels / group,
// kernel_h, kernel_w], offset [batch, 2 * offset_group * kernel_h * kernel_w,
// out_height, out_width] as (dy, dx) pairs per tap, bias [out_channels],
// mask [batch, offset_group * kernel_h * kernel_w, out_height, out_width],
// y [batch, out_channels, out_height, out_width].
struct DeformConvShape {
  int64_t batch, in_channels, height, width;
  int64_t out_channels, kernel_h, kernel_w;
  int64_t out_height, out_width;
  int64_t stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
  int64_t group, offset_group;
};

// Every input rule. bias and mask are null when absent. Fills `shape`.
Status CheckDeformConv(const DeformConvParams& p, const TensorDesc& x, const TensorDesc& w,
                       const TensorDesc& offset, const TensorDesc* bias, const TensorDesc* mask,
                       DeformConvShape* shape);

// W [out_channels, in_per_group, kernel_h, kernel_w] packed as the CPU
// GEMM's right operand for this process's vector level, in the accumulation
// type: made once where W is constant (the ORT binding does so when the
// session creates the kernel) and read by every call whose W has these
// dimensions, instead of packing W in each call.
template <typename A>
struct DeformConvPackedW {
  int64_t out_channels, in_per_group, kernel_h, kernel_w, group;
  std::vector<A> data;
};

// Null where the dimensions are not those of a valid W (out_channels not a
// multiple of group, a dimension below 1): the call then checks and packs.
template <typename T>
std::unique_ptr<const DeformConvPackedW<typename Acc<T>::type>> PackDeformConvW(
    const T* w, int64_t out_channels, int64_t in_per_group, int64_t kernel_h, int64_t kernel_w,
    int64_t group);

// T is float, double or Half (which computes in float). bias and mask may be
// null. Coordinates that are NaN sample 0. `scratch` gives the channels-last
// copy of X and the packed W (common/nhwc.h's HostScratch); `packed_w`, when
// its dimensions match, stands for w.
template <typename T>
void DeformConvCpu(const DeformConvShape& s, const T* x, const T* w, const T* offset, const T* bias,
                   const T* mask, T* y, const ParallelFor& parallel_for,
                   const HostScratch& scratch = nullptr,
                   const DeformConvPackedW<typename Acc<T>::type>* packed_w = nullptr);

// The same on device pointers, launched on `stream` (a cudaStream_t); only in
// a build with CUDA. `scratch` is DeformConvCudaScratchBytes<T>(s) bytes of
// device memory (the column matrix of one chunk of positions) that the
// caller keeps for kernels on `stream` until they have run: memory that
// ORT's allocator hands only to work on the same stream may be freed as soon
// as this returns. See deform_conv_cuda_body.h.
template <typename T>
int64_t DeformConvCudaScratchBytes(const DeformConvShape& s);
template <typename T>
Status DeformConvCuda(const DeformConvShape& s, const T* x, const T* w, const T* offset,
                      const T* bias, const T* mask, T* y, void* scratch, void* stream);

}  // namespace ort_roi
