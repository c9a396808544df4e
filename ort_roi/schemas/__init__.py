"""ONNX op schemas for the ``ort_roi`` domain, with type and shape inference.

ONNX Runtime does not need these to run our nodes (the compiled library
declares its own kernels); they are for the tools that reason about a graph
before it runs: ``onnx.checker``, ``onnx.shape_inference`` and the
torch.export-based exporter.

    import onnx, ort_roi.schemas
    ort_roi.schemas.register()
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)

Inference errors (a wrong rank, a channel count that does not divide, ...)
are raised as ``onnx.shape_inference.InferenceError`` naming the op. onnx
passes an error raised by a Python inference function on even outside strict
mode.
"""

from __future__ import annotations

import threading

import onnx.defs
from onnx.defs import OpSchema

from . import deform_conv, multi_scale, nms, roi_pooling
from ._common import DOMAIN, VERSION

__all__ = ["DOMAIN", "SCHEMAS", "VERSION", "get", "register"]

# In the order of DESIGN.md's contract table.
SCHEMAS: tuple[OpSchema, ...] = (
    *roi_pooling.SCHEMAS,
    *multi_scale.SCHEMAS,
    *nms.SCHEMAS,
    *deform_conv.SCHEMAS,
)

_BY_NAME = {schema.name: schema for schema in SCHEMAS}

# onnx refuses a second registration of the same op and version, and two
# threads could both see an op as missing.
_lock = threading.Lock()


def register() -> None:
    """Register every schema with onnx; calling it again does nothing."""
    with _lock:
        for schema in SCHEMAS:
            if not onnx.defs.has(schema.name, VERSION, DOMAIN):
                onnx.defs.register_schema(schema)


def get(name: str) -> OpSchema:
    """The schema of one op of the domain, by op type (``"RoIAlign"``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no op {name!r} in domain {DOMAIN!r}; ops: {sorted(_BY_NAME)}") from None
