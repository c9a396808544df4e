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

__all__ = ["deform_conv2d", "roi_align", "roi_pool", "to_rois"]

_ONNX_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11, np.dtype(np.float16): 10}

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
    if x.dtype not in _ONNX_TYPES:
        raise TypeError(f"input must be float32, float64 or float16, got {x.dtype}")
    return np.ascontiguousarray(x)


@functools.lru_cache(maxsize=64)
def _session(op: str, attrs: tuple, input_names: tuple, dtype: np.dtype, providers: tuple):
    from onnx import TensorProto, helper  # onnx is only needed to build the model

    elem = _ONNX_TYPES[dtype]
    node = helper.make_node(op, list(input_names), ["Y"], domain=DOMAIN, **dict(attrs))
    graph = helper.make_graph(
        [node],
        op,
        [helper.make_tensor_value_info(n, elem, None) for n in input_names],
        [helper.make_tensor_value_info("Y", elem, None)],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(DOMAIN, 1)],
        ir_version=8,
    )
    return InferenceSession(model.SerializeToString(), providers=list(providers))


def _run(op: str, attrs: dict, inputs: dict, providers) -> np.ndarray:
    dtype = next(iter(inputs.values())).dtype
    sess = _session(op, tuple(sorted(attrs.items())), tuple(inputs), dtype,
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


def _onnx_pads(padding) -> tuple[int, ...]:
    """torchvision's ``padding`` (int or (ph, pw), symmetric) or ONNX's
    4 values (top, left, bottom, right) as ONNX ``pads``."""
    if isinstance(padding, (int, np.integer)):
        return (int(padding),) * 4
    values = tuple(int(v) for v in padding)
    if len(values) == 2:
        return values * 2
    if len(values) == 4:
        return values
    raise ValueError(f"padding must be an int, (ph, pw) or (top, left, bottom, right); got {padding}")


def deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None,
                  *, providers=None) -> np.ndarray:
    """torchvision.ops.deform_conv2d: ``input [N, Cin, H, W]``, ``offset [N,
    2*offset_groups*kh*kw, Ho, Wo]``, ``weight [Cout, Cin/groups, kh, kw]``,
    optional ``bias [Cout]`` and ``mask [N, offset_groups*kh*kw, Ho, Wo]``;
    returns ``[N, Cout, Ho, Wo]``. ``padding`` may also be ONNX's
    (top, left, bottom, right). Groups and offset groups are inferred from the
    shapes, as torchvision does."""
    x = _float_input(input)
    w = np.ascontiguousarray(np.asarray(weight))
    off = np.ascontiguousarray(np.asarray(offset))
    if x.ndim != 4 or w.ndim != 4 or off.ndim != 4:
        raise ValueError(f"input, weight and offset must have rank 4, got shapes "
                         f"{x.shape}, {w.shape} and {off.shape}")
    kh, kw = w.shape[2:]
    offset_group = off.shape[1] // (2 * kh * kw) if kh * kw else 0
    if offset_group == 0:
        raise ValueError(f"offset has {off.shape[1]} channels; it needs a multiple of "
                         f"2 * kh * kw = {2 * kh * kw}")
    if w.shape[1] == 0:
        raise ValueError(f"weight dim 1 (Cin / groups) must be positive, got shape {w.shape}")
    # Tuples: the attributes are part of the session cache's key.
    attrs = dict(strides=_pair(stride), pads=_onnx_pads(padding),
                 dilations=_pair(dilation), group=x.shape[1] // w.shape[1],
                 offset_group=offset_group)
    inputs = {"X": x, "W": w, "offset": off}
    if bias is not None or mask is not None:
        # Without a bias torchvision adds zeros: the same sum as none at all.
        b = np.zeros(w.shape[0], x.dtype) if bias is None else bias
        inputs["B"] = np.ascontiguousarray(np.asarray(b))
    if mask is not None:
        inputs["mask"] = np.ascontiguousarray(np.asarray(mask))
    return _run("DeformConv2d", attrs, inputs, providers)
