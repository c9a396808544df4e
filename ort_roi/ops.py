"""NumPy functions that run one ort_roi node through ONNX Runtime.

Each call builds (once per op, attribute set, dtype and providers) a one-node
model and a session, then runs it. Box formats people bring are accepted:

- torchvision's ``Tensor[K, 5]`` rows ``(batch_index, x1, y1, x2, y2)``;
- torchvision's ``List[Tensor[L, 4]]``, one array of boxes per image;
- Paddle's ``boxes [K, 4]`` with ``boxes_num [N]`` (boxes per image, in order).

``aligned=None`` takes the convention's default: False for torchvision's
formats, True for Paddle's (``paddle.vision.ops.roi_align``).

Bad input raises :class:`~ort_roi.errors.InvalidInputError` (a ValueError,
RuntimeError, AssertionError and IndexError, so code that catches what
torchvision raises catches it too), or its subclass ``InvalidDtypeError``
(also a TypeError and NotImplementedError) for dtypes. Inputs that give an
empty output (no boxes, no images, a zero output size) return it without
running a session, as torchvision does.

``multi_scale_roi_align`` takes torchvision's ``MultiScaleRoIAlign``
convention (a dict of named feature maps and the image sizes, from which the
scales are inferred) or a plain list of feature maps with their scales.
"""

from __future__ import annotations

import functools
from typing import Mapping, Sequence, Union

import numpy as np
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument

from ._library import DOMAIN, InferenceSession
from .errors import InvalidDtypeError, InvalidInputError

__all__ = [
    "InvalidDtypeError", "InvalidInputError",
    "batched_nms", "deform_conv2d", "infer_scales", "multi_scale_roi_align", "nms", "ps_roi_align",
    "ps_roi_pool", "roi_align", "roi_pool", "to_rois",
]

_FLOAT_TYPES = {np.dtype(np.float32): 1, np.dtype(np.float64): 11, np.dtype(np.float16): 10}
_ONNX_TYPES = {**_FLOAT_TYPES, np.dtype(np.int64): 7}

BoxesLike = Union[np.ndarray, Sequence[np.ndarray]]


def to_rois(boxes: BoxesLike, dtype, boxes_num=None) -> np.ndarray:
    """Boxes in any accepted format as ``[K, 5]`` rois of ``dtype``."""
    return _rois("to_rois", boxes, dtype, boxes_num)


def _rois(op: str, boxes: BoxesLike, dtype, boxes_num) -> np.ndarray:
    """``to_rois`` whose errors name ``op``. Boxes are cast to ``dtype`` (the
    feature map's): unlike torchvision, which refuses rois of another type."""
    if boxes_num is not None:
        boxes = np.asarray(boxes)
        counts = np.asarray(boxes_num).astype(np.int64).reshape(-1)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise InvalidInputError(f"{op}: with boxes_num, boxes must be [K, 4], got {boxes.shape}")
        if counts.sum() != boxes.shape[0] or (counts < 0).any():
            raise InvalidInputError(
                f"{op}: boxes_num {counts.tolist()} does not add up to the {boxes.shape[0]} boxes given"
            )
        index = np.repeat(np.arange(len(counts)), counts)
        return np.concatenate([index[:, None], boxes], axis=1).astype(dtype)
    if isinstance(boxes, (list, tuple)):
        parts = []
        for i, b in enumerate(boxes):
            b = np.asarray(b)
            if b.ndim != 2 or b.shape[1] != 4:
                raise InvalidInputError(f"{op}: boxes[{i}] must be [L, 4], got {b.shape}")
            parts.append(np.concatenate([np.full((len(b), 1), i), b], axis=1))
        if not parts:
            return np.zeros((0, 5), dtype)
        return np.concatenate(parts, axis=0).astype(dtype)
    rois = np.asarray(boxes)
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise InvalidInputError(f"{op}: boxes must be [K, 5], a list of [L, 4], or [K, 4] "
                                f"with boxes_num; got {rois.shape}")
    return rois.astype(dtype, copy=False)


def _pair(output_size) -> tuple[int, int]:
    if isinstance(output_size, (int, np.integer)):
        return int(output_size), int(output_size)
    h, w = output_size
    return int(h), int(w)


def _output_size(op: str, output_size) -> tuple[int, int]:
    oh, ow = _pair(output_size)
    if oh < 0 or ow < 0:
        raise InvalidInputError(f"{op}: output_size must not be negative, got ({oh}, {ow})")
    return oh, ow


def _float_input(x, op: str, name: str = "input") -> np.ndarray:
    x = np.asarray(x)
    if x.dtype not in _FLOAT_TYPES:
        raise InvalidDtypeError(f"{op}: {name} must be float32, float64 or float16, got {x.dtype}")
    return np.ascontiguousarray(x)


def _same_dtype(op: str, first: tuple[str, np.ndarray], *others: tuple[str, np.ndarray]) -> None:
    """Our nodes take one float type for all these inputs; say which differs
    (ONNX Runtime's own message would only say that no kernel matches)."""
    name, x = first
    for other, y in others:
        if y.dtype != x.dtype:
            raise InvalidDtypeError(f"{op}: {other} is {y.dtype} but {name} is {x.dtype}; "
                                    f"they must have the same dtype")


def _rank(op: str, name: str, x: np.ndarray, rank: int, layout: str) -> None:
    if x.ndim != rank:
        raise InvalidInputError(f"{op}: {name} must be {layout}, got shape {x.shape}")


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
    so = ort.SessionOptions()
    so.log_severity_level = 4  # a refused input reaches the caller as an exception, not a log line
    return InferenceSession(model.SerializeToString(), so, providers=list(providers))


def _run(op: str, attrs: dict, inputs: dict, providers, out_dtype=None) -> np.ndarray:
    """Runs the node; its output has ``out_dtype``, by default the first input's."""
    typed = tuple((n, v.dtype) for n, v in inputs.items())
    out = np.dtype(out_dtype) if out_dtype is not None else typed[0][1]
    try:
        sess = _session(op, tuple(sorted(attrs.items())), typed, out,
                        tuple(providers or ("CPUExecutionProvider",)))
        return sess.run(None, inputs)[0]
    except (InvalidArgument, Fail) as err:
        # Our kernels refuse bad input with INVALID_ARGUMENT, naming the op,
        # the input and the problem; FAIL is a type ONNX Runtime could not
        # match at session build, or an exception from inside a kernel.
        raise InvalidInputError(str(err)) from err


def roi_align(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool | None = None, *, boxes_num=None,
              providers=None) -> np.ndarray:
    """torchvision.ops.roi_align on ``input [N, C, H, W]``; returns ``[K, C, oh, ow]``."""
    if aligned is None:
        aligned = boxes_num is not None
    return _pool("RoIAlign", input, boxes, boxes_num, output_size, spatial_scale, providers,
                 sampling_ratio=int(sampling_ratio), aligned=int(bool(aligned)))


def roi_pool(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0, *,
             boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.roi_pool on ``input [N, C, H, W]``; returns ``[K, C, oh, ow]``."""
    return _pool("RoIPool", input, boxes, boxes_num, output_size, spatial_scale, providers)


def ps_roi_align(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0,
                 sampling_ratio: int = -1, *, boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.ps_roi_align on ``input [N, C * oh * ow, H, W]``; returns ``[K, C, oh, ow]``.

    As in torchvision, there is no ``aligned`` switch: the half-pixel offset is always applied.
    """
    return _pool("PSRoIAlign", input, boxes, boxes_num, output_size, spatial_scale, providers,
                 sampling_ratio=int(sampling_ratio))


def ps_roi_pool(input, boxes: BoxesLike, output_size, spatial_scale: float = 1.0, *,
                boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.ps_roi_pool on ``input [N, C * oh * ow, H, W]``; returns ``[K, C, oh, ow]``."""
    return _pool("PSRoIPool", input, boxes, boxes_num, output_size, spatial_scale, providers)


def _pool(op_type: str, input, boxes: BoxesLike, boxes_num, output_size, spatial_scale: float,
          providers, **attrs) -> np.ndarray:
    """One of the four single-map roi ops: X and rois in X's float type, the
    output size and scale every one of them takes, plus the op's own `attrs`."""
    op = _PYTHON_NAMES[op_type]
    x = _float_input(input, op)
    _rank(op, "input", x, 4, "[N, C, H, W]")
    rois = _rois(op, boxes, x.dtype, boxes_num)
    oh, ow = _output_size(op, output_size)
    channels = x.shape[1]
    if op_type.startswith("PS"):
        # torchvision divides by the bin count unchecked (and dies of SIGFPE).
        if oh == 0 or ow == 0:
            raise InvalidInputError(f"{op}: output_size must be positive, got ({oh}, {ow})")
        if channels % (oh * ow):
            raise InvalidInputError(f"{op}: input has {channels} channels, not a multiple of "
                                    f"output_size {oh} x {ow}")
        channels //= oh * ow
    if len(rois) * channels * oh * ow == 0:
        return np.zeros((len(rois), channels, oh, ow), x.dtype)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=float(spatial_scale), **attrs)
    return _run(op_type, attrs, {"X": x, "rois": rois}, providers)


_PYTHON_NAMES = {"RoIAlign": "roi_align", "RoIPool": "roi_pool", "PSRoIAlign": "ps_roi_align",
                 "PSRoIPool": "ps_roi_pool"}


def infer_scales(feature_shapes: Sequence[Sequence[int]],
                 image_shapes: Sequence[Sequence[int]]) -> list[float]:
    """The spatial scale of each feature map, as torchvision's MultiScaleRoIAlign
    infers it (``_setup_scales``/``_infer_scale``): ``2 ** round(log2(H / H_max))``,
    with ``H`` the map's height and ``H_max`` the largest image height."""
    if not image_shapes:
        raise InvalidInputError("multi_scale_roi_align: image_shapes should not be empty")
    max_h = max(int(s[0]) for s in image_shapes)
    scales = []
    for shape in feature_shapes:
        # torchvision takes log2 of a float32 and rounds half to even; its
        # float32 log2 is correctly rounded, numpy's is not always: go through
        # float64 and round to float32.
        approx = np.float32(float(shape[-2]) / float(max_h))
        level = np.round(np.float32(np.log2(np.float64(approx))))
        scales.append(2.0 ** float(level))
    return scales


def _select_features(features, featmap_names) -> list[np.ndarray]:
    op = "multi_scale_roi_align"
    if isinstance(features, Mapping):
        # torchvision keeps the dict's order and drops maps not named.
        names = list(features) if featmap_names is None else list(featmap_names)
        chosen = [v for k, v in features.items() if k in names]
    else:
        if featmap_names is not None:
            raise InvalidInputError(f"{op}: featmap_names selects from a dict of feature maps, got a list")
        chosen = list(features)
    if not chosen:
        raise InvalidInputError(f"{op}: no feature map to pool from")
    maps = [_float_input(f, op, f"features[{i}]") for i, f in enumerate(chosen)]
    if len({m.dtype for m in maps}) != 1:
        raise InvalidDtypeError(f"{op}: feature maps must share one dtype, "
                                f"got {[m.dtype.name for m in maps]}")
    for i, m in enumerate(maps):
        _rank(op, f"features[{i}]", m, 4, "[N, C, H, W]")
    return maps


def multi_scale_roi_align(features, boxes: BoxesLike, output_size, sampling_ratio: int = -1, *,
                          spatial_scales: Sequence[float] | None = None,
                          image_shapes: Sequence[Sequence[int]] | None = None,
                          featmap_names: Sequence[str] | None = None,
                          canonical_scale: int = 224, canonical_level: int = 4,
                          aligned: bool = False, boxes_num=None, providers=None) -> np.ndarray:
    """torchvision.ops.MultiScaleRoIAlign as one fused node; returns ``[K, C, oh, ow]``
    in the order of the boxes.

    Feature maps, finest first, all ``[N, C, H_l, W_l]`` of one dtype, come as

    - torchvision's ``Dict[str, ndarray]`` with ``image_shapes`` (a list of
      ``(height, width)``, one per image) and optionally ``featmap_names``:
      the maps named (all when ``None``) in the dict's order, with scales
      inferred from the image sizes as torchvision does::

          multi_scale_roi_align({"0": p2, "1": p3, "2": p4, "3": p5}, [boxes0, boxes1],
                                7, 2, image_shapes=[(800, 1216), (800, 1216)])

    - or a list of maps with ``spatial_scales``, one per map::

          multi_scale_roi_align([p2, p3, p4, p5], rois, (7, 7),
                                spatial_scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32])

    Give exactly one of ``spatial_scales`` and ``image_shapes``. ``boxes`` is
    ``[K, 5]`` rois, a list of ``[L, 4]`` per image, or ``[K, 4]`` with
    ``boxes_num``, in input-image coordinates. ``canonical_scale`` and
    ``canonical_level`` are torchvision's LevelMapper parameters;
    ``aligned=True`` pools with the half-pixel offset (torchvision's module
    always uses False).
    """
    op = "multi_scale_roi_align"
    maps = _select_features(features, featmap_names)
    if (spatial_scales is None) == (image_shapes is None):
        raise InvalidInputError(f"{op}: give exactly one of spatial_scales and image_shapes")
    if image_shapes is not None:
        spatial_scales = infer_scales([m.shape for m in maps], image_shapes)
    rois = _rois(op, boxes, maps[0].dtype, boxes_num)
    oh, ow = _output_size(op, output_size)
    if len(rois) * oh * ow == 0:
        return np.zeros((len(rois), maps[0].shape[1], oh, ow), maps[0].dtype)
    attrs = dict(output_height=oh, output_width=ow, sampling_ratio=int(sampling_ratio),
                 spatial_scales=tuple(float(s) for s in spatial_scales),
                 canonical_scale=int(canonical_scale), canonical_level=int(canonical_level),
                 aligned=int(bool(aligned)))
    inputs = {"rois": rois, **{f"X_{i}": m for i, m in enumerate(maps)}}
    return _run("MultiScaleRoIAlign", attrs, inputs, providers)


def nms(boxes, scores, iou_threshold: float, *, providers=None) -> np.ndarray:
    """torchvision.ops.nms: ``boxes [N, 4]`` (x1, y1, x2, y2), ``scores [N]``
    of the same float type; returns the kept indices (int64), best first."""
    inputs = {"boxes": _float_input(boxes, "nms", "boxes"),
              "scores": _float_input(scores, "nms", "scores")}
    _same_dtype("nms", *inputs.items())
    return _run("NMS", dict(iou_threshold=float(iou_threshold)), inputs, providers, np.int64)


def batched_nms(boxes, scores, idxs, iou_threshold: float, *, strategy: str = "torchvision",
                cpu_trick_max_numel: int = 4000, cuda_trick_max_numel: int = 100_000,
                providers=None) -> np.ndarray:
    """torchvision.ops.batched_nms: NMS within each class ``idxs [N]`` (any
    integers, cast to int64); returns the kept indices (int64), best first.

    strategy "torchvision" (default) gives what torchvision gives eagerly on
    the device that runs it, ties and rounding included: its coordinate trick
    up to ``*_trick_max_numel`` box elements (torchvision 0.28's bounds), per
    class above. "coordinate_trick" always takes the trick (torchvision while
    tracing, so its own ONNX export); "per_class" is exact per class, equal
    scores in index order.

    No boxes give no indices whatever ``scores`` and ``idxs`` are, as in
    torchvision. ``idxs`` may be floats or booleans holding whole numbers
    (torchvision takes those too); other values are refused.
    """
    op = "batched_nms"
    if np.asarray(boxes).size == 0:
        return np.zeros(0, np.int64)
    inputs = {"boxes": _float_input(boxes, op, "boxes"), "scores": _float_input(scores, op, "scores")}
    _same_dtype(op, *inputs.items())
    inputs["idxs"] = _class_indices(idxs)
    attrs = dict(iou_threshold=float(iou_threshold), strategy=strategy,
                 cpu_trick_max_numel=int(cpu_trick_max_numel),
                 cuda_trick_max_numel=int(cuda_trick_max_numel))
    return _run("BatchedNMS", attrs, inputs, providers, np.int64)


def _class_indices(idxs) -> np.ndarray:
    labels = np.asarray(idxs)
    if labels.dtype.kind == "f":
        whole = np.isfinite(labels) & (labels == np.round(labels)) & (np.abs(labels) < 2.0 ** 62)
        if not whole.all():
            bad = int(np.flatnonzero(~whole.reshape(-1))[0])
            raise InvalidInputError(f"batched_nms: idxs must hold whole numbers (class indices), "
                                    f"got {labels.reshape(-1)[bad]} at position {bad}")
    elif labels.dtype.kind not in "iub":
        raise InvalidDtypeError(f"batched_nms: idxs must be integers, got {labels.dtype}")
    return np.ascontiguousarray(labels, dtype=np.int64)


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
    raise InvalidInputError(f"deform_conv2d: padding must be an int, (ph, pw) or "
                            f"(top, left, bottom, right); got {padding}")


def deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None,
                  *, providers=None) -> np.ndarray:
    """torchvision.ops.deform_conv2d: ``input [N, Cin, H, W]``, ``offset [N,
    2*offset_groups*kh*kw, Ho, Wo]``, ``weight [Cout, Cin/groups, kh, kw]``,
    optional ``bias [Cout]`` and ``mask [N, offset_groups*kh*kw, Ho, Wo]``;
    returns ``[N, Cout, Ho, Wo]``. ``padding`` may also be ONNX's
    (top, left, bottom, right). Groups and offset groups are inferred from the
    shapes, as torchvision does."""
    op = "deform_conv2d"
    x = _float_input(input, op)
    w = _float_input(weight, op, "weight")
    off = _float_input(offset, op, "offset")
    m = None if mask is None else _float_input(mask, op, "mask")
    # Shapes first, then dtypes: torchvision's order, so its messages and ours
    # name the same problem when an input has both.
    for name, t, layout in [("input", x, "[N, Cin, H, W]"), ("weight", w, "[Cout, Cin/groups, kh, kw]"),
                            ("offset", off, "[N, 2*offset_groups*kh*kw, Ho, Wo]")]:
        _rank(op, name, t, 4, layout)
    kh, kw = w.shape[2:]
    offset_group = off.shape[1] // (2 * kh * kw) if kh * kw else 0
    if offset_group == 0:
        raise InvalidInputError(f"{op}: the shape of the offset {off.shape} does not fit the weight: "
                                f"offset has {off.shape[1]} channels; it needs a multiple of "
                                f"2 * kh * kw = {2 * kh * kw}")
    if w.shape[1] == 0:
        raise InvalidInputError(f"{op}: weight dim 1 (Cin / groups) must be positive, got shape {w.shape}")
    if m is not None:
        # The kernel checks the rest of the mask's shape; the channel count is
        # checked here too, to come before the dtypes (and with the words
        # torchvision's message uses, which its users' tests match).
        _rank(op, "mask", m, 4, "[N, offset_groups*kh*kw, Ho, Wo]")
        if m.shape[1] != offset_group * kh * kw:
            raise InvalidInputError(f"{op}: mask.shape[1] is not valid: mask has {m.shape[1]} channels, "
                                    f"offset_groups * kh * kw = {offset_group * kh * kw}")
    _same_dtype(op, ("input", x), ("weight", w), ("offset", off),
                *([("mask", m)] if m is not None else []))
    b = None if bias is None else _float_input(bias, op, "bias")
    late_bias = None
    if b is not None and b.dtype != x.dtype:
        # torchvision adds the bias after the convolution, in torch's promoted
        # type (numpy promotes floats the same way): do the same.
        if b.shape != (w.shape[0],):
            raise InvalidInputError(f"{op}: bias must be [Cout] = [{w.shape[0]}], got shape {b.shape}")
        late_bias, b = b, None
    # Tuples: the attributes are part of the session cache's key.
    attrs = dict(strides=_pair(stride), pads=_onnx_pads(padding),
                 dilations=_pair(dilation), group=x.shape[1] // w.shape[1],
                 offset_group=offset_group)
    inputs = {"X": x, "W": w, "offset": off}
    if b is not None or m is not None:
        # Without a bias torchvision adds zeros: the same sum as none at all.
        inputs["B"] = np.zeros(w.shape[0], x.dtype) if b is None else b
    if m is not None:
        inputs["mask"] = m
    y = _run("DeformConv2d", attrs, inputs, providers)
    return y if late_bias is None else y + late_bias.reshape(1, -1, 1, 1)
