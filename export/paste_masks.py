"""Mask R-CNN's paste_masks_in_image as one op, for the torch.export-based path.

torchvision pastes each detection's mask into the image by its own loop:
F.interpolate to the box's size (read from the box's values), then a copy
into a zero image. torch.export can neither unroll a loop over an unbacked
number of detections nor size a tensor by a value. As an op,
`ort_roi::paste_masks`, its output is simply [N, 1, height, width].

Its ONNX form has no loop. Bilinear resizing is separable: each image row is
a blend of at most two rows of the (padded) mask, each image column of at
most two columns, so with the blend weights as matrices,
    pasted[n] = rows[n] @ mask[n] @ cols[n].T
where rows[n] is [height, S] and cols[n] [width, S] (S the padded mask
side), two non-zero weights per row and all-zero rows outside the box,
which leaves zeros there as torchvision's zero image does. The cost is
N * height * width * S multiply-adds (S = 30 in torchvision's heads), more
arithmetic than resizing each mask to its box, but as two batched MatMuls
it runs well ahead of a per-detection loop; and it is no less exact, since
the zero weights add exact zeros.

In eager the op runs torchvision's own function, so patching it in changes
nothing that the model computes.
"""

from __future__ import annotations

import onnx
import torch
from onnxscript import opset18 as op
from torch import Tensor
from torchvision.models.detection import roi_heads

_PASTE = roi_heads.paste_masks_in_image

FLOAT, INT64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64


@torch.library.custom_op("ort_roi::paste_masks", mutates_args=())
def paste_masks_op(masks: Tensor, boxes: Tensor, height: int, width: int,
                   padding: int = 1) -> Tensor:
    """torchvision's paste_masks_in_image: masks [N, 1, M, M] and boxes [N, 4]
    (x1, y1, x2, y2, in the image's pixels) to [N, 1, height, width]."""
    return _PASTE(masks, boxes, (height, width), padding)


@paste_masks_op.register_fake
def _(masks, boxes, height, width, padding=1):
    return masks.new_empty((masks.shape[0], 1, height, width))


def paste_masks_in_image(masks: Tensor, boxes: Tensor, img_shape: tuple[int, int],
                         padding: int = 1) -> Tensor:
    """Stands in for transform.paste_masks_in_image while exporting."""
    return torch.ops.ort_roi.paste_masks(masks, boxes, img_shape[0], img_shape[1], padding)


def _scalar(value, dtype: int):
    return op.Constant(value=onnx.helper.make_tensor("c", dtype, [], [value]))


def _as_int64(size):
    """A size the exporter passes as a Python int or as an int64 scalar."""
    if isinstance(size, int):
        return _scalar(size, INT64)
    scalar_shape = op.Constant(value=onnx.helper.make_tensor("shape", INT64, [0], []))
    return op.Reshape(op.Cast(size, to=INT64), scalar_shape)


def _expand(low, high, scale):
    """torchvision's expand_boxes on one axis, in its float32 operations and
    order, then truncated to int64 as its .to(torch.int64) does (toward zero,
    not floor: a box edge at -0.6 goes to 0)."""
    half = op.Mul(op.Mul(op.Sub(high, low), _scalar(0.5, FLOAT)), scale)
    centre = op.Mul(op.Add(high, low), _scalar(0.5, FLOAT))
    return op.Cast(op.Sub(centre, half), to=INT64), op.Cast(op.Add(centre, half), to=INT64)


def _blend(first, last, size, side):
    """[N, size, side] weights of the rows (or columns) of a side x side mask
    that make image lines 0..size-1, for boxes covering lines first..last
    ([N, 1] int64): zero outside them.

    Inside, line y is output line r = y - first of F.interpolate(bilinear,
    align_corners=False) to length n = max(last - first + 1, 1); PyTorch's
    CPU kernel reads it from source position max((r + 0.5) * (side / n) - 0.5, 0)
    in float32, blending floor(position) and the next line (the same one at
    the end) by the fraction.
    """
    one = _scalar(1, INT64)
    lines = op.Unsqueeze(op.Range(_scalar(0, INT64), size, one), [0])           # [1, size]
    inside = op.And(op.GreaterOrEqual(lines, first), op.LessOrEqual(lines, last))
    length = op.Max(op.Add(op.Sub(last, first), one), one)
    scale = op.Div(op.Cast(_scalar(side, INT64), to=FLOAT), op.Cast(length, to=FLOAT))
    offset = op.Cast(op.Sub(lines, first), to=FLOAT)
    position = op.Sub(op.Mul(op.Add(offset, _scalar(0.5, FLOAT)), scale), _scalar(0.5, FLOAT))
    position = op.Max(position, _scalar(0.0, FLOAT))
    lower = op.Floor(position)
    fraction = op.Sub(position, lower)
    lower = op.Cast(lower, to=INT64)
    upper = op.Min(op.Add(lower, one), _scalar(side - 1, INT64))
    taps = op.Range(_scalar(0, INT64), _scalar(side, INT64), one)               # [side]
    hit_lower = op.Cast(op.Equal(op.Unsqueeze(lower, [2]), taps), to=FLOAT)
    hit_upper = op.Cast(op.Equal(op.Unsqueeze(upper, [2]), taps), to=FLOAT)
    weights = op.Add(op.Mul(hit_lower, op.Unsqueeze(op.Sub(_scalar(1.0, FLOAT), fraction), [2])),
                     op.Mul(hit_upper, op.Unsqueeze(fraction, [2])))
    return op.Mul(weights, op.Unsqueeze(op.Cast(inside, to=FLOAT), [2]))


def paste_masks_onnx(masks, boxes, height, width, padding: int = 1):
    """ONNX for ort_roi::paste_masks (float32 masks of static side M)."""
    side = masks.shape[-1]
    if not isinstance(side, int):
        raise ValueError(f"paste_masks needs masks of a static size, not {masks.shape}")
    padded_side = side + 2 * padding
    # expand_masks' scale is a Python float that PyTorch rounds to float32.
    scale = _scalar(float(torch.tensor(padded_side / side, dtype=torch.float32)), FLOAT)
    padded = op.Pad(op.Squeeze(masks, [1]),
                    op.Constant(value_ints=[0, padding, padding, 0, padding, padding]))
    x1, y1, x2, y2 = op.Split(boxes, axis=1, num_outputs=4)                      # [N, 1] each
    left, right = _expand(x1, x2, scale)
    top, bottom = _expand(y1, y2, scale)
    rows = _blend(top, bottom, _as_int64(height), padded_side)                   # [N, H, S]
    cols = _blend(left, right, _as_int64(width), padded_side)                    # [N, W, S]
    pasted = op.MatMul(op.MatMul(rows, padded), op.Transpose(cols, perm=[0, 2, 1]))
    return op.Unsqueeze(pasted, [1])
