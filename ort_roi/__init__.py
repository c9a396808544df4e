"""ort_roi: torchvision's detection operators as ONNX Runtime custom ops.

The runtime side only: it needs onnxruntime and numpy, never torch.

    import ort_roi
    sess = ort_roi.InferenceSession("model.onnx")   # library already registered

or, with options of your own:

    so = onnxruntime.SessionOptions()
    ort_roi.register(so)
"""

from ._library import (
    DOMAIN,
    InferenceSession,
    get_library_path,
    providers,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "DOMAIN",
    "InferenceSession",
    "__version__",
    "get_library_path",
    "providers",
    "register",
]
