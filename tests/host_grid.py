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


def multi_scale_roi_align(maps, rois, oh, ow, scales, ratio=-1, canonical_scale=224,
                          canonical_level=4, aligned=False):
    """`maps`: the L feature maps, finest first, with their `scales`."""
    maps = [np.ascontiguousarray(m) for m in maps]
    rois = np.ascontiguousarray(rois)
    n, c = maps[0].shape[:2]
    y = np.full((rois.shape[0], c, oh, ow), np.nan, maps[0].dtype)
    levels = len(maps)
    _call("ort_roi_host_multi_scale_roi_align", ctypes.c_int(_ONNX_TYPE[maps[0].dtype]),
          _I64(levels), _shape(n, c, rois.shape[0]), _shape(*(m.shape[2] for m in maps)),
          _shape(*(m.shape[3] for m in maps)), _I64(oh), _I64(ow), _I64(ratio),
          (_F32 * levels)(*scales), _I64(canonical_scale), _I64(canonical_level),
          _I64(int(aligned)), (_PTR * levels)(*(m.ctypes.data for m in maps)), _ptr(rois),
          _ptr(y))
    return y


def deform_conv(x, w, offset, bias, mask, strides, pads, dilations, group, offset_group,
                chunk_bytes=0):
    """ONNX-style attributes; `chunk_bytes` of column scratch per chunk (0:
    the CUDA launcher's)."""
    x, w, offset = (np.ascontiguousarray(a) for a in (x, w, offset))
    bias = None if bias is None else np.ascontiguousarray(bias)
    mask = None if mask is None else np.ascontiguousarray(mask)
    n, cin, h, wd = x.shape
    cout, _, kh, kw = w.shape
    ho, wo = offset.shape[2:]
    y = np.full((n, cout, ho, wo), np.nan, x.dtype)
    shape = _shape(n, cin, h, wd, cout, kh, kw, ho, wo, strides[0], strides[1], pads[0], pads[1],
                   dilations[0], dilations[1], group, offset_group)
    _call("ort_roi_host_deform_conv", ctypes.c_int(_ONNX_TYPE[x.dtype]), shape, _I64(chunk_bytes),
          _ptr(x), _ptr(w), _ptr(offset), None if bias is None else _ptr(bias),
          None if mask is None else _ptr(mask), _ptr(y))
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


def thread_at(grid: tuple[int, int, int, int, int], index: int) -> tuple[int, ...]:
    """(k, c0, ph, pw, count_c) of thread `index` of the roi pooling kernels'
    grid (num_rois, channels, channels per thread, pooled_h, pooled_w)."""
    out = (_I64 * 5)()
    _call("ort_roi_host_thread_at", _shape(*grid), _I64(index), out)
    return tuple(out)


def nms_mask_bytes(n: int) -> int:
    """Bytes of NMS's device mask chunk for n boxes (NmsMaskWords)."""
    _LIB.ort_roi_host_nms_mask_bytes.restype = _I64
    return _LIB.ort_roi_host_nms_mask_bytes(_I64(n))


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
