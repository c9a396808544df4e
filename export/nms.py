"""nms -> NMS, and batched_nms -> BatchedNMS through a custom op of ours.

torchvision's batched_nms is Python with two paths, chosen by input size and
device: the "coordinate trick" (offset each class's boxes so that classes
cannot overlap, then one nms) and a loop over the classes (torch.unique and
where: data-dependent, which torch.export cannot trace). With tied scores the
two keep boxes in another order, and the trick's rounding can change which
boxes survive. While exporting, `patched()` replaces batched_nms with a
function calling torch.ops.ort_roi.batched_nms, one opaque op that both
exporters map to a single BatchedNMS node whose `strategy` attribute says
which rule it follows (see `reference_batched_nms`).
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager

import torch
import torchvision.ops.boxes as tv_boxes
from torch.onnx.symbolic_helper import parse_args

from ._nodes import OPSET, ts_node

_TORCHVISION_BATCHED_NMS = tv_boxes.batched_nms
# Undecorated: the decorated ones would script themselves if called while tracing.
_VANILLA = getattr(tv_boxes._batched_nms_vanilla, "__wrapped__", tv_boxes._batched_nms_vanilla)
_TRICK = getattr(tv_boxes._batched_nms_coordinate_trick, "__wrapped__",
                 tv_boxes._batched_nms_coordinate_trick)

STRATEGIES = ("torchvision", "coordinate_trick", "per_class")
# torchvision 0.28's bounds, in box elements (4 per box), up to which eager
# batched_nms takes the coordinate trick; `trick_bounds()` reads the installed one's.
DEFAULT_CPU_TRICK_MAX_NUMEL = 4000
DEFAULT_CUDA_TRICK_MAX_NUMEL = 100_000


@functools.cache
def trick_bounds() -> tuple[int, int]:
    """(CPU, CUDA) bound of the installed torchvision's batched_nms, found by
    calling it on shape-only tensors and watching which path it takes: the
    rule is in its source, and changed between releases."""
    taken = []
    original = tv_boxes._batched_nms_vanilla, tv_boxes._batched_nms_coordinate_trick

    def bound(device: str) -> int:
        low, high = 0, 1 << 24  # in boxes: the trick at `low`, not at `high`
        while high - low > 1:
            mid = (low + high) // 2
            taken.clear()
            _TORCHVISION_BATCHED_NMS(torch.empty(mid, 4, device=device),
                                     torch.empty(mid, device=device),
                                     torch.empty(mid, dtype=torch.int64, device=device), 0.5)
            low, high = (mid, high) if taken == ["trick"] else (low, mid)
        return 4 * low

    try:
        tv_boxes._batched_nms_vanilla = lambda *a: taken.append("vanilla")
        tv_boxes._batched_nms_coordinate_trick = lambda *a: taken.append("trick")
        # A meta tensor's device is not "cpu": it takes the bound of every other device.
        return bound("cpu"), bound("meta")
    except Exception:  # a torchvision whose batched_nms reads values on the way
        return DEFAULT_CPU_TRICK_MAX_NUMEL, DEFAULT_CUDA_TRICK_MAX_NUMEL
    finally:
        tv_boxes._batched_nms_vanilla, tv_boxes._batched_nms_coordinate_trick = original


def reference_batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                          iou_threshold: float, strategy: str = "torchvision",
                          cpu_trick_max_numel: int = DEFAULT_CPU_TRICK_MAX_NUMEL,
                          cuda_trick_max_numel: int = DEFAULT_CUDA_TRICK_MAX_NUMEL
                          ) -> torch.Tensor:
    """What a BatchedNMS node computes, in PyTorch, by torchvision's own code.

    strategy "torchvision": torchvision.ops.batched_nms run eagerly on the
    boxes' device: the coordinate trick while boxes.numel() is at most that
    device's bound, else one nms per class merged by torch's (unstable) sort.
    "coordinate_trick": always the trick, as torchvision does while tracing
    or scripting (so as its own ONNX export computes). "per_class": one nms
    per class on the boxes as given, merged by descending score, equal
    scores in index order.

    torchvision's CPU nms has no float16 kernel; float16 boxes are offset in
    float16 as torchvision does, and their nms runs on the same values in float32.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"BatchedNMS strategy must be one of {STRATEGIES}, got {strategy!r}")
    if strategy == "torchvision":
        bound = cpu_trick_max_numel if boxes.device.type == "cpu" else cuda_trick_max_numel
        strategy = "coordinate_trick" if boxes.numel() <= bound else "vanilla"
    idxs = idxs.to(torch.int64)
    if strategy == "coordinate_trick":
        if boxes.dtype == torch.float16 and boxes.device.type == "cpu" and boxes.numel():
            offsets = idxs.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
            shifted = boxes + offsets[:, None]
            return tv_boxes.nms(shifted.float(), scores.float(), iou_threshold)
        return _TRICK(boxes, scores, idxs, iou_threshold)
    if boxes.dtype == torch.float16 and boxes.device.type == "cpu":
        boxes, scores = boxes.float(), scores.float()  # same order: the cast is exact
    if strategy == "vanilla":
        return _VANILLA(boxes, scores, idxs, iou_threshold)
    kept = _VANILLA(boxes, scores, idxs, iou_threshold).sort().values
    return kept[scores[kept].sort(descending=True, stable=True)[1]]


@torch.library.custom_op("ort_roi::batched_nms", mutates_args=())
def batched_nms_op(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                   iou_threshold: float, strategy: str, cpu_trick_max_numel: int,
                   cuda_trick_max_numel: int) -> torch.Tensor:
    return reference_batched_nms(boxes, scores, idxs, iou_threshold, strategy,
                                 cpu_trick_max_numel, cuda_trick_max_numel)


@batched_nms_op.register_fake
def _(boxes, scores, idxs, iou_threshold, strategy, cpu_trick_max_numel, cuda_trick_max_numel):
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    """torchvision.ops.batched_nms as one op (what the patch puts in its place),
    following eager torchvision's rule with the installed release's bounds."""
    if idxs.dtype != torch.int64:  # BatchedNMS takes int64 classes
        idxs = idxs.to(torch.int64)
    cpu_bound, cuda_bound = trick_bounds()
    return torch.ops.ort_roi.batched_nms(boxes, scores, idxs, float(iou_threshold),
                                         "torchvision", cpu_bound, cuda_bound)


@contextmanager
def patched():
    """Point every module-level name bound to torchvision's batched_nms at ours.

    torchvision's detection models call `box_ops.batched_nms` (the attribute of
    torchvision.ops.boxes); torchvision.ops and user code hold it under names
    of their own, so every global of every loaded module that is it is
    patched. A reference kept elsewhere (a closure, an attribute) is not.
    """
    original, this_module = _TORCHVISION_BATCHED_NMS, sys.modules[__name__]
    trick_bounds()  # before the patch: it calls torchvision's own
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


@parse_args("v", "v", "v", "f", "s", "i", "i")
def batched_nms_ts(g, boxes, scores, idxs, iou_threshold, strategy, cpu_bound, cuda_bound):
    return ts_node(g, "BatchedNMS", boxes, scores, idxs, like=boxes, dims=_keep_dims(),
                   dtype=torch.int64, iou_threshold_f=iou_threshold, strategy_s=strategy,
                   cpu_trick_max_numel_i=cpu_bound, cuda_trick_max_numel_i=cuda_bound)


# ------------------------------------------------------------ torch.export-based


def nms(boxes, scores, iou_threshold: float):
    return OPSET.NMS(boxes, scores, iou_threshold=iou_threshold)


def batched_nms_onnx(boxes, scores, idxs, iou_threshold: float, strategy: str,
                     cpu_trick_max_numel: int, cuda_trick_max_numel: int):
    return OPSET.BatchedNMS(boxes, scores, idxs, iou_threshold=iou_threshold, strategy=strategy,
                            cpu_trick_max_numel=cpu_trick_max_numel,
                            cuda_trick_max_numel=cuda_trick_max_numel)
