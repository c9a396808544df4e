"""The CUDA kernels' per-thread bodies, run over their whole launch grid on
the host (kernels/testing/host_grid_<op>.cc, built beside the library), through
ctypes. Outputs start as NaN, so an element the grid never writes shows up
in every comparison."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

import ort_roi

_LIB = ctypes.CDLL(str(Path(ort_roi.get_library_path()).parent / "libort_roi_host_grid.so"))
_ONNX_TYPE = {np.dtype(np.float32): 1, np.dtype(np.float64): 11, np.dtype(np.float16): 10}
_I64, _F32, _PTR = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(_PTR)


def _shape(*dims: int):
    return (_I64 * len(dims))(*dims)


def _call(name: str, *args) -> None:
    rc = getattr(_LIB, name)(*args)
    assert rc == 0, f"{name} returned {rc}"


def roi_align(x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False):
    x, rois = np.ascontiguousarray(x), np.ascontiguousarray(rois)
    y = np.full((rois.shape[0], x.shape[1], oh, ow), np.nan, x.dtype)
    _call("ort_roi_host_roi_align", ctypes.c_int(_ONNX_TYPE[x.dtype]),
          _shape(*x.shape, rois.shape[0]), _I64(oh), _I64(ow), _F32(scale), _I64(ratio),
          _I64(int(aligned)), _ptr(x), _ptr(rois), _ptr(y))
    return y


def _pooled(x, rois, oh, ow, position_sensitive, fill):
    """X and rois made contiguous, and Y [K, C', oh, ow] filled with `fill`
    (NaN unless a test needs NaN to be a result, as PSRoIAlign's 0 / 0)."""
    x, rois = np.ascontiguousarray(x), np.ascontiguousarray(rois)
    c = x.shape[1] // (oh * ow) if position_sensitive else x.shape[1]
    return x, rois, np.full((rois.shape[0], c, oh, ow), fill, x.dtype)


def roi_pool(x, rois, oh, ow, scale=1.0, fill=np.nan):
    x, rois, y = _pooled(x, rois, oh, ow, False, fill)
    _call("ort_roi_host_roi_pool", ctypes.c_int(_ONNX_TYPE[x.dtype]),
          _shape(*x.shape, rois.shape[0]), _I64(oh), _I64(ow), _F32(scale), _ptr(x), _ptr(rois),
          _ptr(y))
    return y


def ps_roi_align(x, rois, oh, ow, scale=1.0, ratio=-1, fill=np.nan):
    x, rois, y = _pooled(x, rois, oh, ow, True, fill)
    _call("ort_roi_host_ps_roi_align", ctypes.c_int(_ONNX_TYPE[x.dtype]),
          _shape(*x.shape, rois.shape[0]), _I64(oh), _I64(ow), _F32(scale), _I64(ratio),
          _ptr(x), _ptr(rois), _ptr(y))
    return y


def ps_roi_pool(x, rois, oh, ow, scale=1.0, fill=np.nan):
    x, rois, y = _pooled(x, rois, oh, ow, True, fill)
    _call("ort_roi_host_ps_roi_pool", ctypes.c_int(_ONNX_TYPE[x.dtype]),
          _shape(*x.shape, rois.shape[0]), _I64(oh), _I64(ow), _F32(scale), _ptr(x), _ptr(rois),
          _ptr(y))
    return y
