"""Each ort_roi node's torchvision twin: the PyTorch call that computes what the node must.

`TWINS` is the one table, keyed by op type. A twin takes the node's inputs as
torch tensors in the node's own dtypes (None for an absent optional input)
and its attributes with the schema's defaults filled in, and returns the one
output. float16 inputs are computed in float32 (torchvision's CPU kernels
have no float16 NMS, and the contract's float16 bound is against float32),
except BatchedNMS's: its reference follows torchvision's float16 rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from onnx import helper
from torchvision.ops import poolers

from ort_roi import schemas
from ort_roi.export.nms import reference_batched_nms

Tensor = torch.Tensor


@dataclass(frozen=True)
class Twin:
    run: Callable[..., Tensor]  # run(inputs: list[Optional[Tensor]], attrs: dict) -> Tensor
    index_output: bool = False  # int64 indices (NMS keep), compared exactly


def shortest_decimal(value: float) -> float:
    """The float32 attribute read back as the decimal its writer meant (0.3,
    not 0.300000012), as the kernels read thresholds (float_attribute.h)."""
    return float(str(np.float32(value)))


def _float32(*tensors: Optional[Tensor]) -> list[Optional[Tensor]]:
    return [t.float() if t is not None and t.dtype == torch.float16 else t for t in tensors]


def _size(attrs: dict) -> tuple[int, int]:
    return attrs["output_height"], attrs["output_width"]


def _roi_align(inputs, attrs):
    x, rois = _float32(*inputs)
    return torchvision.ops.roi_align(x, rois, _size(attrs), attrs["spatial_scale"],
                                     attrs["sampling_ratio"], bool(attrs["aligned"]))


def _roi_pool(inputs, attrs):
    x, rois = _float32(*inputs)
    return torchvision.ops.roi_pool(x, rois, _size(attrs), attrs["spatial_scale"])


def _ps_roi_align(inputs, attrs):
    x, rois = _float32(*inputs)
    return torchvision.ops.ps_roi_align(x, rois, _size(attrs), attrs["spatial_scale"],
                                        attrs["sampling_ratio"])


def _ps_roi_pool(inputs, attrs):
    x, rois = _float32(*inputs)
    return torchvision.ops.ps_roi_pool(x, rois, _size(attrs), attrs["spatial_scale"])


def _pyramid_level(scale: float) -> int:
    # As torchvision's _setup_scales: -log2 in float32, truncated toward zero.
    return int(-torch.log2(torch.tensor(scale, dtype=torch.float32)).item())


def _multi_scale_roi_align(inputs, attrs):
    """torchvision's _multiscale_roi_align on rois [K, 5]: its LevelMapper over
    the boxes, then roi_align per level at that level's scale."""
    rois, *features = _float32(*inputs)
    scales = attrs["spatial_scales"]
    if len(scales) != len(features):
        raise ValueError(f"spatial_scales has {len(scales)} values for {len(features)} "
                         "feature maps")
    size, ratio, aligned = _size(attrs), attrs["sampling_ratio"], bool(attrs["aligned"])
    if len(features) == 1:  # torchvision skips the level mapper then
        return torchvision.ops.roi_align(features[0], rois, size, scales[0], ratio, aligned)
    mapper = poolers.initLevelMapper(_pyramid_level(scales[0]), _pyramid_level(scales[-1]),
                                     canonical_scale=attrs["canonical_scale"],
                                     canonical_level=attrs["canonical_level"])
    levels = mapper([rois[:, 1:]])
    first = features[0]
    result = first.new_zeros((rois.shape[0], first.shape[1], *size))
    for level, (feature, scale) in enumerate(zip(features, scales)):
        chosen = torch.where(levels == level)[0]
        result[chosen] = torchvision.ops.roi_align(feature, rois[chosen], size, scale, ratio,
                                                   aligned).to(result.dtype)
    return result


def _nms(inputs, attrs):
    boxes, scores = _float32(*inputs)
    return torchvision.ops.nms(boxes, scores, shortest_decimal(attrs["iou_threshold"]))


def _batched_nms(inputs, attrs):
    boxes, scores, idxs = inputs
    return reference_batched_nms(boxes, scores, idxs, shortest_decimal(attrs["iou_threshold"]),
                                 attrs["strategy"], attrs["cpu_trick_max_numel"],
                                 attrs["cuda_trick_max_numel"])


def _deform_conv2d(inputs, attrs):
    """ONNX pads (top, left, bottom, right) as torchvision's symmetric padding;
    uneven pads, which torchvision cannot express, as zero rows and columns
    added to X (torchvision samples zeros outside the map, so it is the same)."""
    x, weight, offset, bias, mask = _float32(*inputs, *[None] * (5 - len(inputs)))
    top, left, bottom, right = attrs["pads"] or (0, 0, 0, 0)
    padding = (top, left)
    if (top, left) != (bottom, right):
        x, padding = F.pad(x, (left, right, top, bottom)), (0, 0)
    return torchvision.ops.deform_conv2d(x, offset, weight, bias, padding=padding,
                                         stride=tuple(attrs["strides"] or (1, 1)),
                                         dilation=tuple(attrs["dilations"] or (1, 1)), mask=mask)


TWINS: dict[str, Twin] = {
    "RoIAlign": Twin(_roi_align),
    "RoIPool": Twin(_roi_pool),
    "PSRoIAlign": Twin(_ps_roi_align),
    "PSRoIPool": Twin(_ps_roi_pool),
    "MultiScaleRoIAlign": Twin(_multi_scale_roi_align),
    "NMS": Twin(_nms, index_output=True),
    "BatchedNMS": Twin(_batched_nms, index_output=True),
    "DeformConv2d": Twin(_deform_conv2d),
}


def twin_of(node: onnx.NodeProto) -> Twin:
    try:
        return TWINS[node.op_type]
    except KeyError:
        raise ValueError(f"no torchvision twin for op {node.op_type!r} "
                         f"(twins: {', '.join(TWINS)})") from None


_PYTHON_TYPE = {onnx.AttributeProto.INT: int, onnx.AttributeProto.FLOAT: float,
                onnx.AttributeProto.STRING: str, onnx.AttributeProto.INTS: list,
                onnx.AttributeProto.FLOATS: list}


def attributes(node: onnx.NodeProto) -> tuple[dict, list[str]]:
    """The node's attributes with the schema's defaults filled in (None for an
    optional one without default), and notes on any whose type is not the
    schema's (ORT's kernels refuse such a node by name; the twin takes the
    value as the schema's type, and the note says so)."""
    schema = schemas.get(node.op_type)
    values, notes = {}, []
    for name, spec in schema.attributes.items():
        default = spec.default_value
        has_default = default.type != onnx.AttributeProto.UNDEFINED
        value = helper.get_attribute_value(default) if has_default else None
        values[name] = value.decode() if isinstance(value, bytes) else value
    for proto in node.attribute:
        value = helper.get_attribute_value(proto)
        values[proto.name] = value.decode() if isinstance(value, bytes) else value
        spec = schema.attributes.get(proto.name)
        if spec is None:
            notes.append(f"attribute {proto.name!r} is not in {node.op_type}'s schema")
        elif int(spec.type) != int(proto.type):
            values[proto.name] = _PYTHON_TYPE[int(spec.type)](value)
            given = onnx.AttributeProto.AttributeType.Name(proto.type)
            notes.append(f"attribute {proto.name!r} is {given}, the schema says "
                         f"{spec.type.name}: the twin takes it as {values[proto.name]!r}")
    missing = [n for n, s in schema.attributes.items() if s.required and values[n] is None]
    if missing:
        raise ValueError(f"{node.op_type} node {node.name!r} lacks required attribute(s) {missing}")
    return values, notes


def run_twin(node: onnx.NodeProto, inputs: list[Optional[np.ndarray]], attrs: dict) -> np.ndarray:
    """The node's twin on NumPy inputs (None where an optional input is absent)."""
    # A copy: torch wants writable memory, and initializers come read-only.
    tensors = [None if a is None else torch.from_numpy(np.array(a)) for a in inputs]
    with torch.inference_mode():
        return twin_of(node).run(tensors, attrs).numpy()
