// ORT binding of PSRoIAlign, on the CPU and on CUDA: read attributes once, then
// check, allocate and call the kernel (ComputeRoIPooling).
#include "common/ps_roi_geometry.h"
#include "ort/custom_op.h"
#include "ort/host_scratch.h"
#include "ort/ops.h"
#include "ort/roi_pooling_op.h"
#include "ps_roi_align/ps_roi_align.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct PSRoIAlignKernel : RoIPoolingSignature {
  static constexpr const char* kName = "PSRoIAlign";

  // Y [K, C / (output_height * output_width), output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, PooledBins(ctx)); }

  PSRoIAlignParams params;

  static Status Create(const OrtKernelInfo* info, PSRoIAlignKernel* k) {
    PSRoIAlignParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(ReadRoIPoolingAttrs(kName, info, &p));
    return OptionalAttr(kName, info, "sampling_ratio", &p.sampling_ratio);
  }

  OrtStatusPtr Compute(OrtKernelContext* ctx) {
    return ComputeRoIPooling<kCuda>(
        ctx, kName, params, CheckPSRoIAlign, PSOutputChannels,
        [&](const RoIPoolingShape& s, const auto* x, const auto* rois, auto* y, auto&& on) {
          if constexpr (kCuda) {
            return PSRoIAlignCuda(params, s, x, rois, y, on);
          } else {
            HostScratchPool scratch{Ort::KernelContext(ctx)};
            PSRoIAlignCpu(params, s, x, rois, y, on, scratch.Get());
          }
        });
  }
};

}  // namespace

std::vector<const OrtCustomOp*> PSRoIAlignCpuOps() {
  return FloatTypeOps<PSRoIAlignKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> PSRoIAlignCudaOps() {
  return FloatTypeOps<PSRoIAlignKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
