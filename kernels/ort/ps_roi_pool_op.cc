// ORT binding of PSRoIPool, on the CPU and on CUDA: read attributes once, then
// check, allocate and call the kernel (ComputeRoIPooling).
#include "common/ps_roi_geometry.h"
#include "ort/custom_op.h"
#include "ort/host_scratch.h"
#include "ort/ops.h"
#include "ort/roi_pooling_op.h"
#include "ps_roi_pool/ps_roi_pool.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct PSRoIPoolKernel : RoIPoolingSignature {
  static constexpr const char* kName = "PSRoIPool";

  // Y [K, C / (output_height * output_width), output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, PooledBins(ctx)); }

  PSRoIPoolParams params;

  static Status Create(const OrtKernelInfo* info, PSRoIPoolKernel* k) {
    return ReadRoIPoolingAttrs(kName, info, &k->params);
  }

  OrtStatusPtr Compute(OrtKernelContext* ctx) {
    return ComputeRoIPooling<kCuda>(
        ctx, kName, params, CheckPSRoIPool, PSOutputChannels,
        [&](const RoIPoolingShape& s, const auto* x, const auto* rois, auto* y, auto&& on) {
          if constexpr (kCuda) {
            return PSRoIPoolCuda(params, s, x, rois, y, on);
          } else {
            HostScratchPool scratch{Ort::KernelContext(ctx)};
            PSRoIPoolCpu(params, s, x, rois, y, on, scratch.Get());
          }
        });
  }
};

}  // namespace

std::vector<const OrtCustomOp*> PSRoIPoolCpuOps() {
  return FloatTypeOps<PSRoIPoolKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> PSRoIPoolCudaOps() {
  return FloatTypeOps<PSRoIPoolKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
