"""PyTorch eager with one of its choices among equal scores made as an ONNX
graph makes it, to show that this choice, and nothing else, is why an
exported detector differs from eager.

Each rule is keyed by the ONNX op that makes the choice in the exported graph.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torchvision.ops.boxes as box_ops

_TOPK_METHOD = torch.Tensor.topk
_TOPK = torch.topk
_BATCHED_NMS = box_ops.batched_nms
_TRICK = box_ops._batched_nms_coordinate_trick


def topk_lowest_index_first(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """torch.topk whose equal values come in index order, as ONNX Runtime's TopK
    gives them (torch.topk on CPU leaves their order to the selection algorithm).
    The same values; only the indices of equal ones can differ."""
    if out is not None:
        return _TOPK(input, k, dim, largest, sorted, out=out)
    values, indices = torch.sort(input, dim=dim, descending=largest, stable=True)
    return torch.return_types.topk((values.narrow(dim, 0, k), indices.narrow(dim, 0, k)))


@contextmanager
def topk_in_index_order():
    torch.Tensor.topk, torch.topk = topk_lowest_index_first, topk_lowest_index_first
    try:
        yield
    finally:
        torch.Tensor.topk, torch.topk = _TOPK_METHOD, _TOPK


@contextmanager
def batched_nms_coordinate_trick():
    """batched_nms always by the coordinate trick, the path torchvision takes
    while tracing (so its ONNX export has one NonMaxSuppression of offset
    boxes), whatever eager's size rule would pick. torchvision's detection
    code calls it as torchvision.ops.boxes.batched_nms."""
    box_ops.batched_nms = _TRICK
    try:
        yield
    finally:
        box_ops.batched_nms = _BATCHED_NMS


@contextmanager
def batched_nms_calls(calls: list):
    """Record each batched_nms call as (boxes, scores, idxs, iou_threshold, keep)."""
    current = box_ops.batched_nms

    def recording(boxes, scores, idxs, iou_threshold):
        keep = current(boxes, scores, idxs, iou_threshold)
        calls.append((boxes, scores, idxs, iou_threshold, keep))
        return keep

    box_ops.batched_nms = recording
    try:
        yield
    finally:
        box_ops.batched_nms = current


RULES = {"TopK": topk_in_index_order, "NonMaxSuppression": batched_nms_coordinate_trick}
