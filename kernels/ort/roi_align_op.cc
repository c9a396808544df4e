// ORT binding of RoIAlign, on the CPU and on CUDA: read attributes once, then
// check, allocate and call the kernel (ComputeRoIPooling).
#include "ort/custom_op.h"
#include "ort/host_scratch.h"
#include "ort/ops.h"
#include "ort/roi_pooling_op.h"
#include "roi_align/roi_align.h"

namespace ort_roi {

namespace {

template <bool kCuda>
struct RoIAlignKernel : RoIPoolingSignature {
  static constexpr const char* kName = "RoIAlign";

  // Y [K, C, output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, 1); }

  RoIAlignParams params;

  static Status Create(const OrtKernelInfo* info, RoIAlignKernel* k) {
    RoIAlignParams& p = k->params;
    ORT_ROI_RETURN_IF_ERROR(ReadRoIPoolingAttrs(kName, info, &p));
    ORT_ROI_RETURN_IF_ERROR(OptionalAttr(kName, info, "sampling_ratio", &p.sampling_ratio));
    return OptionalAttr(kName, info, "aligned", &p.aligned);
  }

  OrtStatusPtr Compute(OrtKernelContext* ctx) {
    return ComputeRoIPooling<kCuda>(
        ctx, kName, params, CheckRoIAlign, SameChannels,
        [&](const RoIPoolingShape& s, const auto* x, const auto* rois, auto* y, auto&& on) {
          if constexpr (kCuda) {
            return RoIAlignCuda(params, s, x, rois, y, on);
          } else {
            HostScratchPool scratch{Ort::KernelContext(ctx)};
            RoIAlignCpu(params, s, x, rois, y, on, scratch.Get());
          }
        });
  }
};

}  // namespace

std::vector<const OrtCustomOp*> RoIAlignCpuOps() {
  return FloatTypeOps<RoIAlignKernel<false>>(kCpuProvider);
}

#if ORT_ROI_WITH_CUDA
std::vector<const OrtCustomOp*> RoIAlignCudaOps() {
  return FloatTypeOps<RoIAlignKernel<true>>(kCudaProvider);
}
#endif

}  // namespace ort_roi
