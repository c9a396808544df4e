"""ort-roi export MODEL OUT.onnx: a PyTorch model to ONNX with ort_roi's nodes."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import onnx
import torch

import ort_roi.export

from . import models
from .parity import our_nodes

DEFAULT_IMAGE_SIZE = (480, 640)


def export_model(model, args: tuple, out, *, exporter: str, opset=None) -> onnx.ModelProto:
    """Export with ort_roi's mappings, inputs and outputs named after the
    model's (forward's parameters, the keys of its output dicts); a detector
    takes images of any height and width, with either exporter."""
    with torch.no_grad():
        outputs = model(*args)
    options = {"input_names": models.input_names(model, args),
               "output_names": models.leaf_names(outputs)}
    if models.is_detector(model):
        if exporter == "torchscript":
            options["dynamic_axes"] = {n: {1: "height", 2: "width"}
                                       for n in options["input_names"]}
        else:
            options["dynamic_shapes"] = ([_image_dims(i) for i in range(len(args[0]))],)
    return ort_roi.export.export(model, args, out, dynamo=exporter == "dynamo", opset=opset,
                                 **options)


def _image_dims(index: int) -> dict:
    """A height and width of its own for the index-th image of a detector's list."""
    suffix = str(index) if index else ""
    return {1: torch.export.Dim(f"height{suffix}", min=32, max=8192),
            2: torch.export.Dim(f"width{suffix}", min=32, max=8192)}


def run(args) -> int:
    folder = Path(args.out).resolve().parent
    if not folder.is_dir():  # say so before a long export, not after it
        raise SystemExit(f"ort-roi: cannot write {args.out}: there is no folder {folder}")
    image_size = tuple(args.image_size or DEFAULT_IMAGE_SIZE)
    start = time.perf_counter()
    model = models.load_model(args.model, weights=args.weights, image_size=image_size,
                              seed=args.seed)
    inputs = models.example_inputs(model, image_size)
    proto = export_model(model, inputs, args.out, exporter=args.exporter, opset=args.opset)
    ours = Counter(n.op_type for n in our_nodes(proto))
    print(f"wrote {args.out} ({args.exporter} exporter, opset "
          f"{next(o.version for o in proto.opset_import if o.domain in ('', 'ai.onnx'))}) "
          f"in {time.perf_counter() - start:.1f}s")
    print("inputs:  " + ", ".join(i.name for i in proto.graph.input))
    print("outputs: " + ", ".join(o.name for o in proto.graph.output))
    print("ort_roi nodes: " + (", ".join(f"{op} x{n}" for op, n in sorted(ours.items())) or "none"))
    return 0
