// ORT binding of RoIPool: read attributes once, then check, allocate and
// call the kernel (ComputeRoIPooling).
#include "ort/custom_op.h"
#include "ort/ops.h"
#include "ort/roi_pooling_op.h"
#include "roi_pool/roi_pool.h"

namespace ort_roi {

namespace {

struct RoIPoolKernel : RoIPoolingSignature {
  static constexpr const char* kName = "RoIPool";

  // Y [K, C, output_height, output_width] of X's type.
  static void InferShape(const ShapeInfer& ctx) { InferPooledShape(ctx, 0, 1, 1); }

  RoIPoolParams params;

  static Status Create(const OrtKernelInfo* info, RoIPoolKernel* k) {
    return ReadRoIPoolingAttrs(kName, info, &k->params);
  }

  OrtStatusPtr Compute(OrtKernelContext* ctx) {
    return ComputeRoIPooling(ctx, kName, params, CheckRoIPool, SameChannels,
                             [&](const RoIPoolingShape& s, const auto* x, const auto* rois, auto* y,
                                 const ParallelFor& parallel_for) {
                               RoIPoolCpu(params, s, x, rois, y, parallel_for);
                             });
  }
};

}  // namespace

std::vector<const OrtCustomOp*> RoIPoolCpuOps() { return FloatTypeOps<RoIPoolKernel>(kCpuProvider); }

}  // namespace ort_roi
