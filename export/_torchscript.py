"""Glue for the TorchScript exporter (torch.onnx.export(..., dynamo=False)).

Its symbolic functions live in one process-wide registry, where torchvision
registers its own (roi_align at opsets 11 and 16, roi_pool and nms at 11). The
registry picks, for a target opset, the function registered at the highest
opset not above it, so ours are registered at exactly the target opset, and
whatever was registered there before is put back afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Optional

import torch
from torch.onnx._internal.torchscript_exporter import registration

from .._library import DOMAIN
from ..schemas import VERSION
from .table import TABLE


def custom_symbolic(name: str, opset: int) -> Optional[Callable]:
    """The custom symbolic registered for `name` at exactly `opset`, if any."""
    group = registration.registry.get_function_group(name)
    if group is None or not group._functions.overridden(opset):
        return None
    return group._functions[opset]


@contextmanager
def symbolics(opset: int):
    saved = [(m.op, custom_symbolic(m.op, opset)) for m in TABLE]
    try:
        for mapping in TABLE:
            torch.onnx.register_custom_op_symbolic(mapping.op, mapping.torchscript, opset)
        yield
    finally:
        for name, previous in saved:
            if previous is None:
                if custom_symbolic(name, opset) is not None:
                    torch.onnx.unregister_custom_op_symbolic(name, opset)
            else:
                torch.onnx.register_custom_op_symbolic(name, previous, opset)


def export(model, args, f, *, opset: int, **options) -> None:
    with symbolics(opset):
        torch.onnx.export(model, args, f, dynamo=False, opset_version=opset,
                          custom_opsets={DOMAIN: VERSION}, **options)
