"""The one table: which op becomes which ort_roi node, with each exporter's mapping.

`op` is the qualified name of the op the exporters see in the traced model:
torchvision's own ops, and two of ours that stand in for Python-level
torchvision code while exporting (batched_nms, see nms.py; MultiScaleRoIAlign,
see multi_scale.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from . import deform_conv, multi_scale, nms, roi_ops


@dataclass(frozen=True)
class Mapping:
    op: str  # "namespace::name"
    node: str  # op type of the ort_roi node it becomes
    torchscript: Callable  # symbolic function for torch.onnx.register_custom_op_symbolic
    onnxscript: Callable  # translation for the torch.export-based exporter

    @property
    def overload(self) -> torch._ops.OpOverload:
        namespace, name = self.op.split("::")
        return getattr(getattr(torch.ops, namespace), name).default


TABLE: tuple[Mapping, ...] = (
    Mapping("torchvision::roi_align", "RoIAlign", roi_ops.roi_align_ts, roi_ops.roi_align),
    Mapping("torchvision::roi_pool", "RoIPool", roi_ops.roi_pool_ts, roi_ops.roi_pool),
    Mapping("torchvision::ps_roi_align", "PSRoIAlign", roi_ops.ps_roi_align_ts,
            roi_ops.ps_roi_align),
    Mapping("torchvision::ps_roi_pool", "PSRoIPool", roi_ops.ps_roi_pool_ts,
            roi_ops.ps_roi_pool),
    Mapping("torchvision::nms", "NMS", nms.nms_ts, nms.nms),
    Mapping("ort_roi::batched_nms", "BatchedNMS", nms.batched_nms_ts, nms.batched_nms_onnx),
    Mapping("torchvision::deform_conv2d", "DeformConv2d", deform_conv.deform_conv2d_ts,
            deform_conv.deform_conv2d),
    Mapping("ort_roi::multi_scale_roi_align", "MultiScaleRoIAlign",
            multi_scale.multi_scale_roi_align_ts, multi_scale.multi_scale_roi_align),
)
