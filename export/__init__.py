"""ort_roi.export: the PyTorch side of ort_roi.

    import ort_roi.export
    ort_roi.export.export(model.eval(), (images,), "model.onnx")              # TorchScript
    ort_roi.export.export(model.eval(), (images,), "model.onnx", dynamo=True) # torch.export

Maps torchvision's detection ops (and the MultiScaleRoIAlign module) to
ort_roi's ONNX nodes; `table.TABLE` lists them. Importing it registers
ort_roi's ONNX schemas, which the torch.export-based exporter needs to type
our nodes.
"""

from ..schemas import register as _register_schemas

_register_schemas()

from ._api import export  # noqa: E402  (the schemas first: onnxscript reads them)
from .table import TABLE  # noqa: E402

__all__ = ["TABLE", "export"]
