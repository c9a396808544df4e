"""NumPy functions that run one ort_roi node through ONNX Runtime.

Each call builds (once per op, attribute set, dtype and providers) a one-node
model and a session, then runs it. Box formats people bring are accepted:

- torchvision's ``Tensor[K, 5]`` rows ``(batch_index, x1, y1, x2, y2)``;
- torchvision's ``List[Tensor[L, 4]]``, one array of boxes per image;
- Paddle's ``boxes [K, 4]`` with ``boxes_num [N]`` (boxes per image, in order).

``aligned=None`` takes the convention's default: False for torchvision's
formats, True for Paddle's (``paddle.vision.ops.roi_align``).
"""

from __future__ import annotations

import functools
from typing import Sequence, Union

import numpy as np

from ._library import DOMAIN, InferenceSession

__all__ = ["batched_nms", "nms", "ps_roi_align", "ps_roi_pool", "roi_align", "roi_pool", "to_rois"]

_FLOAT_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11, np.dtype(np.float16): 10}
_ONNX_TYPES = {**_FLOAT_TYPES, np.dtype(np.int64): 7}

BoxesLike = Union[np.ndarray, Sequence[np.ndarray]]


def to_rois(boxes: BoxesLike, dtype, boxes_num=None) -> np.ndarray:
    """Boxes in any accepted format as ``[K, 5]`` rois of ``dtype``."""
    if boxes_num is not None:
        boxes = np.asarray(boxes)
        counts = np.asarray(boxes_num).astype(np.int64).reshape(-1)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"with boxes_num, boxes must be [K, 4], got {boxes.shape}")
        if counts.sum() != boxes.shape[0] or (counts < 0).any():
            raise ValueError(
                f"boxes_num {counts.tolist()} does not add up to the {boxes.shape[0]} boxes given"
            )
        index = np.repeat(np.arange(len(counts)), counts)
        return np.concatenate([index[:, None], boxes], axis=1).astype(dtype)
    if isinstance(boxes, (list, tuple)):
        parts = []
        for i, b in enumerate(boxes):
            b = np.asarray(b)
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError(f"boxes[{i}] must be [L, 4], got {b.shape}")
            parts.append(np.concatenate([np.full((len(b), 1), i), b], axis=1))
        if not parts:
            return np.zeros((0, 5), dtype)
        return np.concatenate(parts, axis=0).astype(dtype)
    rois = np.asarray(boxes)
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError(f"boxes must be [K, 5], a list of [L, 4], or [K, 4] with boxes_num; got {rois.shape}")
    return rois.astype(dtype, copy=False)


def _pair(output_size) -> tuple[int, int]:
    if isinstance(output_size, int):
        return output_size, output_size
    h, w = output_size
    return int(h), int(w)


def _float_input(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype not in _FLOAT_TYPES:
        raise TypeError(f"input must be float32, float64 or float16, got {x.dtype}")
    return np.ascontiguousarray(x)


@functools.lru_cache(maxsize=64)
def _session(op: str, attrs: tuple, inputs: tuple, out_dtype: np.dtype, providers: tuple):
    """``inputs`` holds (name, dtype) pairs; the graph is typed by them."""
    from onnx import helper  # onnx is only needed to build the model

    node = helper.make_node(op, [n for n, _ in inputs], ["Y"], domain=DOMAIN, **dict(attrs))
    graph = helper.make_graph(
        [node],
        op,
        [helper.make_tensor_value_info(n, _ONNX_TYPES[t], None) for n, t in inputs],
        [helper.make_tensor_value_info("Y", _ONNX_TYPES[out_dtype], None)],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(DOMAIN, 1)],
        ir_version=8,
    )
    return InferenceSession(model.SerializeToString(), providers=list(providers))


def _run(op: str, attrs: dict, inputs: dict, providers, out_dtype=None) -> np.ndarray:
    """Runs the node; its output has ``out_dtype``, by default the first input's."""
    typed = tuple((n, v.dtype) for n, v in inputs.items())
    out = np.dtype(out_dtype) if out_dtype is not None else typed[0][1]
    sess = _session(op, tuple(sorted(attrs.items())), typed, out,
                    tuple(providers or ("CPUExecutionProvider",)))
    return sess.run(None, inputs)[0]


def roi_align(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool | None = None, *, boxes_num=None,
              providers=None) -> np.ndarray:
    """torchvision.ops.roi_align on ``input [N, C, H, W]``; returns ``[K, C, oh, ow]``."""
    x = _float_input(input)
    rois = to_rois(boxes, x.dtype, boxes_num)
    if aligned is None:
        aligned = boxes_num is not None
    oh, ow = _pair(output_size)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=float(spatial_scale),
                 sampling_ratio=int(sampling_ratio), aligned=int(bool(aligned)))
    return _run("RoIAlign", attrs, {"X": x, "rois": rois}, providers)


def roi_pool(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0, *,
             boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.roi_pool on ``input [N, C, H, W]``; returns ``[K, C, oh, ow]``."""
    x = _float_input(input)
    rois = to_rois(boxes, x.dtype, boxes_num)
    oh, ow = _pair(output_size)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=float(spatial_scale))
    return _run("RoIPool", attrs, {"X": x, "rois": rois}, providers)


def ps_roi_align(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0,
                 sampling_ratio: int = -1, *, boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.ps_roi_align on ``input [N, C * oh * ow, H, W]``; returns ``[K, C, oh, ow]``.

    As in torchvision, there is no ``aligned`` switch: the half-pixel offset is always applied.
    """
    x = _float_input(input)
    rois = to_rois(boxes, x.dtype, boxes_num)
    oh, ow = _pair(output_size)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=float(spatial_scale),
                 sampling_ratio=int(sampling_ratio))
    return _run("PSRoIAlign", attrs, {"X": x, "rois": rois}, providers)


def ps_roi_pool(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0, *,
                boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.ps_roi_pool on ``input [N, C * oh * ow, H, W]``; returns ``[K, C, oh, ow]``."""
    x = _float_input(input)
    rois = to_rois(boxes, x.dtype, boxes_num)
    oh, ow = _pair(output_size)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=float(spatial_scale))
    return _run("PSRoIPool", attrs, {"X": x, "rois": rois}, providers)


def nms(boxes, scores, iou_threshold: float, *, providers=None) -> np.ndarray:
    """torchvision.ops.nms: ``boxes [N, 4]`` (x1, y1, x2, y2), ``scores [N]``
    of the same float type; returns the kept indices (int64), best first."""
    attrs = dict(iou_threshold=float(iou_threshold))
    return _run("NMS", attrs, {"boxes": _float_input(boxes), "scores": _float_input(scores)},
                providers, np.int64)


def batched_nms(boxes, scores, idxs, iou_threshold: float, *, providers=None) -> np.ndarray:
    """torchvision.ops.batched_nms: NMS within each class ``idxs [N]`` (any
    integers, cast to int64); returns the kept indices (int64), best first."""
    labels = np.asarray(idxs)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"idxs must be integers, got {labels.dtype}")
    attrs = dict(iou_threshold=float(iou_threshold))
    inputs = {"boxes": _float_input(boxes), "scores": _float_input(scores),
              "idxs": np.ascontiguousarray(labels, dtype=np.int64)}
    return _run("BatchedNMS", attrs, inputs, providers, np.int64)
