"""export(): either exporter, with torchvision's ops mapped to ort_roi's nodes."""

from __future__ import annotations

import io
import os
from typing import Any, BinaryIO, Optional, Union

import onnx
from torch import nn

from . import _dynamo, _torchscript, dynamo_patches, multi_scale, nms


def export(
    model: nn.Module,
    args: tuple[Any, ...],
    f: Union[str, os.PathLike, BinaryIO, None] = None,
    *,
    dynamo: bool = False,
    opset: Optional[int] = None,
    kwargs: Optional[dict[str, Any]] = None,
    input_names: Optional[list[str]] = None,
    output_names: Optional[list[str]] = None,
    dynamic_axes: Optional[dict] = None,
    dynamic_shapes: Any = None,
    **exporter_options: Any,
) -> onnx.ModelProto:
    """Export `model` to ONNX with torchvision's ops as ort_roi nodes.

    roi_align, roi_pool, ps_roi_align, ps_roi_pool, nms and deform_conv2d become
    RoIAlign, RoIPool, PSRoIAlign, PSRoIPool, NMS and DeformConv2d;
    torchvision.ops.batched_nms becomes one BatchedNMS node and each
    torchvision.ops.MultiScaleRoIAlign module one MultiScaleRoIAlign node.

    dynamo=False uses the TorchScript exporter (dynamic_axes), dynamo=True the
    torch.export-based one (dynamic_shapes, or dynamic_axes, which torch
    converts). Other keyword arguments go to torch.onnx.export unchanged.

    opset defaults to 17 for the TorchScript exporter and 18 for the
    torch.export-based one, the lowest it translates to directly: below that
    it exports at 18 and runs a version converter, which fails on a graph
    whose only ops are ours.

    The model is exported as it is (call .eval() first for inference). It
    comes back unchanged, even when the export fails: the same module objects
    and state, and torchvision's symbolic functions and batched_nms restored.

    Returns the exported model; also writes it to `f` (a path or a binary
    file) when given.
    """
    options = dict(exporter_options, kwargs=kwargs, input_names=input_names,
                   output_names=output_names)
    if dynamic_axes is not None:
        options["dynamic_axes"] = dynamic_axes
    if dynamic_shapes is not None:
        options["dynamic_shapes"] = dynamic_shapes
    if opset is None:
        opset = 18 if dynamo else 17
    if dynamo:
        dynamo_patches.check_torch(model)
    with nms.patched(), multi_scale.fused(model) as exportable:
        if dynamo:
            with dynamo_patches.patched():
                dynamo_patches.record_pooler_scales(exportable, args, kwargs)
                program = _dynamo.export(exportable, args, None, opset=opset, **options)
            proto = program.model_proto
        else:
            buffer = io.BytesIO()
            _torchscript.export(exportable, args, buffer, opset=opset, **options)
            proto = onnx.load_from_string(buffer.getvalue())
    if f is not None:
        _save(proto, f)
    return proto


def _save(proto: onnx.ModelProto, f: Union[str, os.PathLike, BinaryIO]) -> None:
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        onnx.save(proto, os.fspath(f))
