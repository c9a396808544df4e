"""ort_roi: torchvision's detection operators as ONNX Runtime custom ops.

The runtime side only: it needs onnxruntime and numpy, never torch.

    import ort_roi
    sess = ort_roi.InferenceSession("model.onnx")   # library already registered

or, with options of your own:

    so = onnxruntime.SessionOptions()
    ort_roi.register(so)
"""

from pathlib import Path as _Path

from ._library import (
    DOMAIN,
    InferenceSession,
    get_library_path,
    providers,
    register,
)

__version__ = "0.1.0"

# Installed, the PyTorch side is the subpackage ort_roi/export. In a source
# checkout it is the folder export/ beside this one: make `import
# ort_roi.export` find it there too, so code run from the checkout's root
# behaves like the installed package.
_checkout_export = _Path(__file__).resolve().parent.parent / "export" / "__init__.py"
if not (_Path(__file__).parent / "export").is_dir() and _checkout_export.is_file():
    __path__.append(str(_checkout_export.parent.parent))

__all__ = [
    "DOMAIN",
    "InferenceSession",
    "__version__",
    "get_library_path",
    "providers",
    "register",
]
