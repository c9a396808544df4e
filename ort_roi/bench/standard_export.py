"""torchvision's own ONNX export (torch.onnx.export, dynamo=False): what a model with
torchvision's ops becomes without ort_roi, for ORT's and OpenVINO's columns."""

from __future__ import annotations

import io
import warnings

import onnx
import torch

OPSET = 17


def standard_export(module: torch.nn.Module, args: tuple, input_names: list[str],
                    output_names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings that name torchvision's lines
        torch.onnx.export(module, args, buffer, dynamo=False, opset_version=OPSET,
                          input_names=input_names, output_names=output_names)
    return buffer.getvalue()


def op_counts(model: bytes, ops: tuple[str, ...]) -> str:
    """How many of `ops` the graph holds, for the notes ("RoiAlign x4, Loop x1")."""
    proto = onnx.load_from_string(model)
    counts = {op: sum(n.op_type == op for n in proto.graph.node) for op in ops}
    return ", ".join(f"{op} x{n}" for op, n in counts.items() if n)
