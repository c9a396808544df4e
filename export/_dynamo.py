"""Glue for the torch.export-based exporter (torch.onnx.export(..., dynamo=True)).

Its registry of translations is built afresh for every export, so nothing
global is touched: our translations go in through custom_translation_table,
keyed by the op overloads that torch.export leaves in the graph (torchvision's
ops and ours have no decomposition, so they reach the exporter whole).
"""

from __future__ import annotations

import torch

from . import dynamo_patches
from .table import TABLE


def translation_table() -> dict:
    table = {mapping.overload: mapping.onnxscript for mapping in TABLE}
    table.update(dynamo_patches.TRANSLATIONS)
    return table


def export(model, args, f, *, opset: int, **options) -> torch.onnx.ONNXProgram:
    return torch.onnx.export(model, args, f, dynamo=True, opset_version=opset,
                             custom_translation_table=translation_table(), **options)
