"""nms -> NMS, and batched_nms -> BatchedNMS through a custom op of ours.

torchvision's batched_nms is Python: it offsets each class's boxes so that
classes cannot overlap and calls nms once (the "coordinate trick", which loses
precision), or loops over the classes (torch.unique, where: data-dependent, and
torch.export cannot trace it). While exporting, `patched()` replaces it with a
function calling torch.ops.ort_roi.batched_nms, one opaque op that both
exporters map to a single BatchedNMS node. Its eager result is torchvision's
exact per-class one, which is what the BatchedNMS kernel computes.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import torch
import torchvision.ops.boxes as tv_boxes
from torch.onnx.symbolic_helper import parse_args

from ._nodes import OPSET, ts_node

_TORCHVISION_BATCHED_NMS = tv_boxes.batched_nms
# Undecorated: the decorated one would script itself if called while tracing.
_PER_CLASS = getattr(tv_boxes._batched_nms_vanilla, "__wrapped__", tv_boxes._batched_nms_vanilla)


@torch.library.custom_op("ort_roi::batched_nms", mutates_args=())
def batched_nms_op(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                   iou_threshold: float) -> torch.Tensor:
    return _PER_CLASS(boxes, scores, idxs, iou_threshold)


@batched_nms_op.register_fake
def _(boxes, scores, idxs, iou_threshold):
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    """torchvision.ops.batched_nms as one op (what the patch puts in its place)."""
    if idxs.dtype != torch.int64:  # BatchedNMS takes int64 classes
        idxs = idxs.to(torch.int64)
    return torch.ops.ort_roi.batched_nms(boxes, scores, idxs, float(iou_threshold))


@contextmanager
def patched():
    """Point every module-level name bound to torchvision's batched_nms at ours.

    torchvision's detection models call `box_ops.batched_nms` (the attribute of
    torchvision.ops.boxes); torchvision.ops and user code hold it under names
    of their own, so every global of every loaded module that is it is
    patched. A reference kept elsewhere (a closure, an attribute) is not.
    """
    original, this_module = _TORCHVISION_BATCHED_NMS, sys.modules[__name__]
    bindings = [(module, name) for module in list(sys.modules.values())
                if module is not this_module
                for name, value in list(getattr(module, "__dict__", {}).items())
                if value is original]
    try:
        for module, name in bindings:
            setattr(module, name, batched_nms)
        yield
    finally:
        for module, name in bindings:
            setattr(module, name, original)


def _keep_dims():
    return [None]  # how many boxes survive depends on the values


# ------------------------------------------------------------------ TorchScript


@parse_args("v", "v", "f")
def nms_ts(g, boxes, scores, iou_threshold):
    return ts_node(g, "NMS", boxes, scores, like=boxes, dims=_keep_dims(), dtype=torch.int64,
                   iou_threshold_f=iou_threshold)


@parse_args("v", "v", "v", "f")
def batched_nms_ts(g, boxes, scores, idxs, iou_threshold):
    return ts_node(g, "BatchedNMS", boxes, scores, idxs, like=boxes, dims=_keep_dims(),
                   dtype=torch.int64, iou_threshold_f=iou_threshold)


# ------------------------------------------------------------ torch.export-based


def nms(boxes, scores, iou_threshold: float):
    return OPSET.NMS(boxes, scores, iou_threshold=iou_threshold)


def batched_nms_onnx(boxes, scores, idxs, iou_threshold: float):
    return OPSET.BatchedNMS(boxes, scores, idxs, iou_threshold=iou_threshold)
