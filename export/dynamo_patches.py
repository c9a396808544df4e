"""torchvision's detection code made traceable by torch.export, while exporting.

torch.export traces with symbolic sizes; after NMS (our BatchedNMS op) the
number of boxes is an unbacked size, and torchvision's pre- and
post-processing branches on sizes in places (`if box_sum > 0`, min(k, n), ...)
where such a size cannot be decided. `patched()` replaces those functions and
methods with equivalents that compute the same values in eager and need no
such decision, and puts torchvision's back afterwards. Only the
torch.export-based path applies them.

Two per-detection loops of torchvision's postprocessing become ops of their
own, since each resizes to a size read from a box's values (data-dependent
count and sizes, which torch.export cannot unroll): Mask R-CNN's
paste_masks_in_image, exported loop-free (paste_masks.py), and Keypoint
R-CNN's heatmaps_to_keypoints, exported as one ONNX Loop (keypoints.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Optional

import onnx
import torch
import torch.nn.functional as F
from onnxscript import opset18 as op
from torch import Tensor
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection import roi_heads
from torchvision.models.detection import transform as tv_transform
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops.poolers import _filter_input, _setup_scales

from . import keypoints, paste_masks
from .multi_scale import FusedMultiScaleRoIAlign

_RESIZE = tv_transform._resize_image_and_masks


def decode(self, rel_codes: Tensor, boxes: list[Tensor]) -> Tensor:
    """BoxCoder.decode without `if box_sum > 0`.

    Its callers pass rel_codes already [sum of boxes, 4 * classes], so the
    first reshape it guards is the identity; the second splits the last dim
    into (classes, 4) whatever the count. For no boxes at all torchvision
    leaves the result [0, 4 * classes], this [0, classes, 4]: both callers
    flatten it again, so what they return is the same.
    """
    concat_boxes = torch.cat(boxes, dim=0)
    rel_codes = rel_codes.reshape(concat_boxes.shape[0], rel_codes.shape[-1])
    pred_boxes = self.decode_single(rel_codes, concat_boxes)
    return pred_boxes.unflatten(1, (-1, 4))


@torch.library.custom_op("ort_roi::resize_to_range", mutates_args=())
def resize_to_range_op(image: Tensor, min_size: int, max_size: int) -> Tensor:
    """GeneralizedRCNNTransform's resize of one [C, H, W] image, as one op.

    The size it resizes to is floor(side * scale) in float64, scale =
    min(min_size / shorter side, max_size / longer side): a function of the
    input's size that torch.export can carry only as a symbolic float, which
    it then fails on. As an op its output size is simply unknown (unbacked)
    and the rest of the model traces with it.
    """
    return _RESIZE(image, min_size, max_size)[0]


@resize_to_range_op.register_fake
def _(image, min_size, max_size):
    ctx = torch.library.get_ctx()
    height, width = ctx.new_dynamic_size(min=1), ctx.new_dynamic_size(min=1)
    return image.new_empty((image.shape[0], height, width))


def resize_to_range_onnx(image, min_size: int, max_size: int):
    """The same size computed in float64 as torchvision does (in Python floats),
    and bilinear Resize to it (align_corners=False is half_pixel)."""
    side = op.Cast(op.Shape(image, start=1, end=3), to=onnx.TensorProto.DOUBLE)
    lower = op.Constant(value=onnx.helper.make_tensor("lo", onnx.TensorProto.DOUBLE, [], [min_size]))
    upper = op.Constant(value=onnx.helper.make_tensor("hi", onnx.TensorProto.DOUBLE, [], [max_size]))
    scale = op.Min(op.Div(lower, op.ReduceMin(side, keepdims=0)),
                   op.Div(upper, op.ReduceMax(side, keepdims=0)))
    size = op.Cast(op.Floor(op.Mul(side, scale)), to=onnx.TensorProto.INT64)
    sizes = op.Concat(op.Shape(image, start=0, end=1), size, axis=0)
    return op.Resize(image, None, None, sizes, mode="linear",
                     coordinate_transformation_mode="half_pixel")


def resize_image_and_masks(image: Tensor, self_min_size: int, self_max_size: int,
                           target: Optional[dict[str, Tensor]] = None,
                           fixed_size: Optional[tuple[int, int]] = None):
    """transform._resize_image_and_masks with inference's case as one op."""
    if target is not None or fixed_size is not None:
        return _RESIZE(image, self_min_size, self_max_size, target, fixed_size)
    return torch.ops.ort_roi.resize_to_range(image, self_min_size, self_max_size), None


def batch_images(self, images: list[Tensor], size_divisible: int = 32) -> Tensor:
    """GeneralizedRCNNTransform.batch_images in integer arithmetic, padding by F.pad.

    torchvision rounds up through math.ceil of a float and copies into slices
    of a zero tensor; with unbacked sizes the first is a symbolic float and
    the second needs the slice bounds decided. (n + d - 1) // d * d is the
    same number, and zero padding the same tensor.
    """
    channels = images[0].shape[0]
    height, width = images[0].shape[1], images[0].shape[2]
    for img in images[1:]:
        channels = torch.sym_max(channels, img.shape[0])
        height = torch.sym_max(height, img.shape[1])
        width = torch.sym_max(width, img.shape[2])
    height = (height + size_divisible - 1) // size_divisible * size_divisible
    width = (width + size_divisible - 1) // size_divisible * size_divisible
    padded = []
    for img in images:
        pad = [width - img.shape[2], height - img.shape[1], channels - img.shape[0]]
        for amount in pad:
            torch._check(amount >= 0)
        padded.append(F.pad(img, (0, pad[0], 0, pad[1], 0, pad[2])))
    return torch.stack(padded)


_RESIZE_KEYPOINTS = tv_transform.resize_keypoints


def resize_keypoints(keypoints: Tensor, original_size: list[int], new_size: list[int]) -> Tensor:
    """transform.resize_keypoints by the form torchvision itself uses when
    tracing: the x and y columns scaled and stacked with the visibility,
    instead of scaled in place. The same products; in place, torch.export
    writes each column back with a scatter (ScatterElements in the graph)."""
    if keypoints.dim() != 3:
        return _RESIZE_KEYPOINTS(keypoints, original_size, new_size)
    ratio_h, ratio_w = (
        torch.tensor(s, dtype=torch.float32, device=keypoints.device)
        / torch.tensor(s_orig, dtype=torch.float32, device=keypoints.device)
        for s, s_orig in zip(new_size, original_size))
    return torch.stack((keypoints[:, :, 0] * ratio_w, keypoints[:, :, 1] * ratio_h,
                        keypoints[:, :, 2]), dim=2)


_BATCH_NORM_2D = torch.nn.BatchNorm2d.forward


def batch_norm_2d(self, x: Tensor) -> Tensor:
    """BatchNorm2d in eval straight to the kernel aten's batch_norm calls.

    aten::batch_norm first asks whether the input is empty, which torch.export
    cannot decide for the box head of the _v2 detectors (its batch is the
    proposal count); _native_batch_norm_legit_no_training runs the same CPU
    kernel without asking.
    """
    if self.training or self.running_mean is None or self.running_var is None:
        return _BATCH_NORM_2D(self, x)
    return torch.ops.aten._native_batch_norm_legit_no_training(
        x, self.weight, self.bias, self.running_mean, self.running_var, 0.0, self.eps)[0]


# (owner, attribute, replacement)
_PATCHES = (
    (torch.nn.BatchNorm2d, "forward", batch_norm_2d),
    (det_utils.BoxCoder, "decode", decode),
    (tv_transform, "_resize_image_and_masks", resize_image_and_masks),
    (GeneralizedRCNNTransform, "batch_images", batch_images),
    (tv_transform, "resize_keypoints", resize_keypoints),
    (tv_transform, "paste_masks_in_image", paste_masks.paste_masks_in_image),
    (roi_heads, "heatmaps_to_keypoints", keypoints.heatmaps_to_keypoints),
)

# Translations for the ops above, for the exporter's custom_translation_table.
TRANSLATIONS = {
    torch.ops.ort_roi.resize_to_range.default: resize_to_range_onnx,
    torch.ops.ort_roi.paste_masks.default: paste_masks.paste_masks_onnx,
    torch.ops.ort_roi.heatmaps_to_keypoints.default: keypoints.heatmaps_to_keypoints_onnx,
}


# The first torch release whose torch.export traces a detector with the
# patches above. In 2.9 to 2.12, torch's own shape functions (conv's size
# check, max_pool2d's output size) branch on the resized image's unbacked
# size and the export stops with GuardOnDataDependentSymNode.
DETECTOR_TORCH = (2, 13)


def torch_release() -> tuple[int, int]:
    """(major, minor) of the torch running, "2.12.1+cu130" -> (2, 12)."""
    major, minor = torch.__version__.split("+")[0].split(".")[:2]
    return int(major), int(minor)


def check_torch(model: torch.nn.Module) -> None:
    """Refuse, naming what to do instead, a torchvision detector on a torch
    whose torch.export cannot trace it."""
    if torch_release() >= DETECTOR_TORCH:
        return
    if any(isinstance(m, GeneralizedRCNNTransform) for m in model.modules()):
        raise RuntimeError(
            f"ort_roi.export: {type(model).__name__} is a torchvision detector; exporting it with "
            f"dynamo=True needs torch {'.'.join(map(str, DETECTOR_TORCH))} or newer (this is torch "
            f"{torch.__version__}, whose torch.export fails on the resized image's data-dependent "
            "size). Export it with dynamo=False, or upgrade torch.")


@contextmanager
def patched():
    """Apply the patches above; put back exactly what was there (an inherited
    attribute, like BatchNorm2d.forward, by deleting ours)."""
    missing = object()
    saved = [(owner, name, owner.__dict__.get(name, missing)) for owner, name, _ in _PATCHES]
    try:
        for owner, name, replacement in _PATCHES:
            setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, original in saved:
            if original is missing:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def record_pooler_scales(model: torch.nn.Module, args: tuple, kwargs: Optional[dict]) -> None:
    """Give every FusedMultiScaleRoIAlign in `model` the scales of its levels.

    torchvision infers them on first use from the sizes of the feature maps
    over the image's, and caches them on the module. Once the image is
    resized by resize_to_range those sizes are unbacked, and inferring the
    scales would need their values: so run the model once in eager on the
    example inputs and take the scales from there, as torchvision's first
    call would. Only the stand-ins (ours, made for this export) are written
    to; any buffer the run changes is put back.
    """
    poolers = [m for m in model.modules()
               if isinstance(m, FusedMultiScaleRoIAlign) and m.scales is None]
    if not poolers:
        return

    def record(module, inputs):
        features, _, image_shapes = inputs
        if module.scales is None:
            scales, _ = _setup_scales(_filter_input(features, module.featmap_names),
                                      image_shapes, module.canonical_scale,
                                      module.canonical_level)
            module.scales = [float(s) for s in scales]

    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    hooks = [m.register_forward_pre_hook(record) for m in poolers]
    try:
        with torch.no_grad():
            model(*args, **(kwargs or {}))
    finally:
        for hook in hooks:
            hook.remove()
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)
