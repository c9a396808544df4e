"""What every mapping shares: our opset for onnxscript, typed TorchScript nodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import onnx
import onnxscript
import torch
from onnxscript import opset18 as onnx_op
from torch.onnx import symbolic_helper

from .._library import DOMAIN
from ..schemas import VERSION

# onnxscript looks each op up in onnx's schema registry (ort_roi.schemas, registered
# when ort_roi.export is imported) to tell inputs from attributes.
OPSET = onnxscript.values.Opset(DOMAIN, VERSION)

Dims = Sequence[Optional[int]]


def sizes(value: torch._C.Value) -> list[Optional[int]]:
    """The value's dims as the TorchScript graph knows them (None where unknown)."""
    return list(symbolic_helper._get_tensor_sizes(value) or [])


def dim(value: torch._C.Value, axis: int) -> Optional[int]:
    dims = sizes(value)
    return dims[axis] if len(dims) > axis else None


def ts_node(g, op_type: str, *inputs, like: torch._C.Value, dims: Dims,
            dtype: Optional[torch.dtype] = None, **attrs) -> torch._C.Value:
    """Add one of our nodes to a TorchScript graph, with its output type stated.

    The exporter cannot infer the output of an op it does not know; without a
    stated type the exported graph has no shape for it nor for anything after it.
    """
    value = g.op(f"{DOMAIN}::{op_type}", *inputs, **attrs)
    base = like.type()
    if isinstance(base, torch._C.TensorType) and base.scalarType() is not None:
        typed = base.with_sizes(list(dims))
        if dtype is not None:
            typed = typed.with_dtype(dtype)
        value.setType(typed)
    return value


def backward_only_output(y):
    """Stand-in for the second output of roi_pool and the ps_ ops (argmax and
    channel mapping), which only their backward pass reads.

    The torch.export-based exporter wants one value per output of the op; this
    one is dead at inference, and the exporter's optimizer removes it. A graph
    that did read it would get zeros, so the tests check that it is gone.
    """
    zero = onnx.helper.make_tensor("zero", onnx.TensorProto.INT32, [1], [0])
    return onnx_op.ConstantOfShape(onnx_op.Shape(y), value=zero)
