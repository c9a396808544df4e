// ORT binding of RoIPool, on the CPU and on CUDA: read attributes once, then
// check, allocate and call the kernel (ComputeRoIPooling).
#include "ort/custom_op.h"
#include "ort/host_scratch.h"
#include "ort/ops.h"
#include "ort/roi_pooling_op.h"
#include "roi_pool/roi_pool.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct RoIPoolKernel : RoIPoolingSignature {
  static constexpr const char* kName = "RoIPool";

  // Y [K, C, output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, 1); }

  RoIPoolParams params;

  static Status Create(const OrtKernelInfo* info, RoIPoolKernel* k) {
    return ReadRoIPoolingAttrs(kName, info, &k->params);
  }

  OrtStatusPtr Compute(OrtKernelContext* ctx) {
    return ComputeRoIPooling<kCuda>(
        ctx, kName, params, CheckRoIPool, SameChannels,
        [&](const RoIPoolingShape& s, const auto* x, const auto* rois, auto* y, auto&& on) {
          if constexpr (kCuda) {
            return RoIPoolCuda(params, s, x, rois, y, on);
          } else {
            HostScratchPool scratch{Ort::KernelContext(ctx)};
            RoIPoolCpu(params, s, x, rois, y, on, scratch.Get());
          }
        });
  }
};

}  // namespace

std::vector<const OrtCustomOp*> RoIPoolCpuOps() {
  return FloatTypeOps<RoIPoolKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> RoIPoolCudaOps() {
  return FloatTypeOps<RoIPoolKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
