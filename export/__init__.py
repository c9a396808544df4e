"""ort_roi.export: the PyTorch side of ort_roi.

Maps torchvision's detection ops (and the MultiScaleRoIAlign module) to
ort_roi's ONNX nodes. Importing it registers ort_roi's ONNX schemas, which the
torch.export-based exporter needs to type our nodes.

The exporter itself is being built (see the project's issues); today this
package provides the schemas hook and the torchvision availability check that
the rest of the PyTorch side uses.
"""

from ..schemas import register as _register_schemas

_register_schemas()

__all__: list[str] = []
