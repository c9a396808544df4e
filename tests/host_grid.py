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


def _keep(name: str, n: int, *args) -> tuple[np.ndarray, int]:
    """Runs an NMS-family entry point; returns its whole keep buffer (n slots,
    -1 where nothing was written) and the count it reported."""
    keep, count = np.full(n, -1, np.int64), np.full(1, -1, np.int64)
    _call(name, *args, _ptr(keep), _ptr(count))
    return keep, int(count[0])


def nms_buffer(boxes, scores, threshold, chunk_rows=0):
    boxes, scores = np.ascontiguousarray(boxes), np.ascontiguousarray(scores)
    return _keep("ort_roi_host_nms", boxes.shape[0], ctypes.c_int(_ONNX_TYPE[boxes.dtype]),
                 _I64(boxes.shape[0]), ctypes.c_double(threshold), _I64(chunk_rows), _ptr(boxes),
                 _ptr(scores))


def nms(boxes, scores, threshold, chunk_rows=0):
    keep, count = nms_buffer(boxes, scores, threshold, chunk_rows)
    return keep[:count]


BATCHED_NMS_STRATEGIES = {"torchvision": 0, "coordinate_trick": 1, "per_class": 2}


def batched_nms_buffer(boxes, scores, idxs, threshold, strategy="torchvision",
                       cuda_trick_max_numel=100_000, chunk_rows=0):
    boxes, scores = np.ascontiguousarray(boxes), np.ascontiguousarray(scores)
    idxs = np.ascontiguousarray(idxs, np.int64)
    return _keep("ort_roi_host_batched_nms", boxes.shape[0],
                 ctypes.c_int(_ONNX_TYPE[boxes.dtype]), _I64(boxes.shape[0]),
                 ctypes.c_double(threshold), ctypes.c_int(BATCHED_NMS_STRATEGIES[strategy]),
                 _I64(cuda_trick_max_numel), _I64(chunk_rows), _ptr(boxes), _ptr(scores),
                 _ptr(idxs))


def batched_nms(boxes, scores, idxs, threshold, strategy="torchvision",
                cuda_trick_max_numel=100_000, chunk_rows=0):
    keep, count = batched_nms_buffer(boxes, scores, idxs, threshold, strategy,
                                      cuda_trick_max_numel, chunk_rows)
    return keep[:count]
