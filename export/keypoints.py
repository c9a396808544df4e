"""Keypoint R-CNN's heatmaps_to_keypoints as one op, exported as an ONNX Loop.

torchvision turns each detection's keypoint heatmaps into positions by
resizing them (bicubic) to the detection's box, rounded up to whole pixels,
and taking the argmax. The resized size is read from the box's values, once
per detection, in a Python loop: torch.export can neither unroll the loop
(the detection count is unbacked) nor carry the sizes. While exporting with
torch.export the function is replaced by `heatmaps_to_keypoints` here, which
calls torchvision's own function through an opaque op (eager results are
torchvision's, bit for bit); the exporter maps that op to an ONNX Loop over
the detections doing the same arithmetic in float32.

A loop-free form is not practical: every detection's maps, resized, would be
padded to the largest box, K * 17 * H * W floats for an H x W image.
"""

from __future__ import annotations

import torch
from onnxscript import FLOAT, script
from onnxscript import opset18 as op
from torch import Tensor
from torchvision.models.detection import roi_heads

_HEATMAPS_TO_KEYPOINTS = roi_heads.heatmaps_to_keypoints


@torch.library.custom_op("ort_roi::heatmaps_to_keypoints", mutates_args=())
def heatmaps_to_keypoints_op(maps: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
    """torchvision's heatmaps_to_keypoints: maps [K, N, H, W], rois [K, 4] ->
    (xy_preds [K, N, 3], scores [K, N]), both float32.

    torchvision returns xy_preds as a transposed view; an op's outputs are
    made contiguous here so that they have the strides the fake impl states.
    """
    xy_preds, scores = _HEATMAPS_TO_KEYPOINTS(maps, rois)
    return xy_preds.contiguous(), scores


@heatmaps_to_keypoints_op.register_fake
def _(maps, rois):
    count, keypoints = maps.shape[0], maps.shape[1]
    return (maps.new_empty((count, keypoints, 3), dtype=torch.float32),
            maps.new_empty((count, keypoints), dtype=torch.float32))


def heatmaps_to_keypoints(maps: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
    """What the patch puts in place of roi_heads.heatmaps_to_keypoints."""
    return torch.ops.ort_roi.heatmaps_to_keypoints(maps, rois)


@script(default_opset=op)
def heatmaps_to_keypoints_onnx(maps: FLOAT, rois: FLOAT) -> tuple[FLOAT, FLOAT]:
    """Per detection: Resize cubic (PyTorch's bicubic: a = -0.75, half-pixel
    centres, edge clamped) to the ceil'd box size, first argmax of the
    flattened maps, position (index + 0.5) * box / ceil'd box + box corner.

    Every step is the float32 operation torchvision does, in its order, so
    the only differences left are the resize's own roundings. Results are
    grown by Concat from empty ones, so that no detections give [0, N, 3]
    and [0, N].

    The exporter inlines this function, then renames the graph's outputs to
    the names the user gave, without checking them against the names inlined
    (torch 2.13): a clash is an invalid model. Hence names here that no one
    would give an output ("scores", "keypoints" would clash).
    """
    box_left = op.Gather(rois, 0, axis=1)
    box_top = op.Gather(rois, 1, axis=1)
    # torchvision clamps the box size to at least 1 px before rounding up.
    box_width = op.Max(op.Sub(op.Gather(rois, 2, axis=1), box_left), 1.0)
    box_height = op.Max(op.Sub(op.Gather(rois, 3, axis=1), box_top), 1.0)
    map_width = op.Ceil(box_width)
    map_height = op.Ceil(box_height)
    x_scale = op.Div(box_width, map_width)
    y_scale = op.Div(box_height, map_height)
    map_sizes = op.Cast(op.Concat(op.Unsqueeze(map_height, [1]), op.Unsqueeze(map_width, [1]),
                                  axis=1), to=7)  # [K, 2] int64

    num_keypoints = op.Shape(maps, start=1, end=2)
    all_xy = op.ConstantOfShape(op.Concat([0], num_keypoints, [3], axis=0))
    all_scores = op.ConstantOfShape(op.Concat([0], num_keypoints, axis=0))
    num_rois = op.Squeeze(op.Shape(rois, start=0, end=1))
    for i in range(num_rois):
        roi_maps = op.Unsqueeze(op.Gather(maps, i, axis=0), [0])  # [1, N, H, W]
        roi_size = op.Concat(op.Shape(roi_maps, start=0, end=2), op.Gather(map_sizes, i, axis=0),
                             axis=0)
        roi_resized = op.Resize(roi_maps, None, None, roi_size, mode="cubic",
                                cubic_coeff_a=-0.75, coordinate_transformation_mode="half_pixel")
        roi_width = op.Shape(roi_resized, start=3, end=4)
        roi_flat = op.Reshape(roi_resized, op.Concat(num_keypoints, [-1], axis=0))
        roi_best = op.ArgMax(roi_flat, axis=1, keepdims=1)  # [N, 1], first of ties as torch
        roi_column = op.Mod(roi_best, roi_width)
        roi_row = op.Div(roi_best, roi_width)
        roi_x = op.Add(op.Mul(op.Add(op.Cast(roi_column, to=1), 0.5), op.Gather(x_scale, i)),
                       op.Gather(box_left, i))
        roi_y = op.Add(op.Mul(op.Add(op.Cast(roi_row, to=1), 0.5), op.Gather(y_scale, i)),
                       op.Gather(box_top, i))
        roi_visible = op.ConstantOfShape(op.Shape(roi_x), value=[1.0])
        roi_xy = op.Unsqueeze(op.Concat(roi_x, roi_y, roi_visible, axis=1), [0])
        all_xy = op.Concat(all_xy, roi_xy, axis=0)
        roi_score = op.Reshape(op.GatherElements(roi_flat, roi_best, axis=1), [1, -1])
        all_scores = op.Concat(all_scores, roi_score, axis=0)
    return all_xy, all_scores
