"""torchvision.ops.MultiScaleRoIAlign -> one MultiScaleRoIAlign node.

torchvision pools each level apart and routes rois with where/index_put, which
exports as NonZero, Gather and ScatterElements per level. While exporting,
`fused(model)` swaps every MultiScaleRoIAlign module for FusedMultiScaleRoIAlign,
whose forward is torchvision's up to the pooling and then one opaque op,
torch.ops.ort_roi.multi_scale_roi_align(rois, features, spatial_scales, ...),
that both exporters map to a single node. The op's eager result is
torchvision's, computed the way torchvision's module computes it.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn
from torch.onnx.symbolic_helper import _unpack_list, parse_args
from torchvision.ops import MultiScaleRoIAlign, roi_align
from torchvision.ops.poolers import (
    _convert_to_roi_format,
    _filter_input,
    _setup_scales,
    initLevelMapper,
)

from ._nodes import OPSET, dim, ts_node


def _level(scale: float) -> int:
    # As torchvision's _setup_scales: log2 in float32, then truncated.
    return int(-torch.log2(torch.tensor(scale, dtype=torch.float32)).item())


@torch.library.custom_op("ort_roi::multi_scale_roi_align", mutates_args=())
def multi_scale_roi_align_op(rois: torch.Tensor, features: list[torch.Tensor],
                             spatial_scales: list[float], output_height: int,
                             output_width: int, sampling_ratio: int, canonical_scale: int,
                             canonical_level: int) -> torch.Tensor:
    size = (output_height, output_width)
    if len(features) == 1:  # torchvision skips the level mapper then
        return roi_align(features[0], rois, size, spatial_scales[0], sampling_ratio)
    mapper = initLevelMapper(_level(spatial_scales[0]), _level(spatial_scales[-1]),
                             canonical_scale=canonical_scale, canonical_level=canonical_level)
    levels = mapper([rois[:, 1:]])
    first = features[0]
    result = first.new_zeros((rois.shape[0], first.shape[1], *size))
    for level, (feature, scale) in enumerate(zip(features, spatial_scales)):
        chosen = torch.where(levels == level)[0]
        pooled = roi_align(feature, rois[chosen], size, scale, sampling_ratio)
        result[chosen] = pooled.to(result.dtype)
    return result


@multi_scale_roi_align_op.register_fake
def _(rois, features, spatial_scales, output_height, output_width, sampling_ratio,
      canonical_scale, canonical_level):
    first = features[0]
    return first.new_empty((rois.shape[0], first.shape[1], output_height, output_width))


class FusedMultiScaleRoIAlign(nn.Module):
    """MultiScaleRoIAlign's forward with the pooling as one op.

    It copies the settings of the module it stands in for and never writes to
    it: torchvision caches the scales it infers on the module on first use,
    and an export must leave the user's module as it found it.
    """

    def __init__(self, original: MultiScaleRoIAlign):
        super().__init__()
        self.featmap_names = list(original.featmap_names)
        self.output_size = tuple(original.output_size)
        self.sampling_ratio = original.sampling_ratio
        self.canonical_scale = original.canonical_scale
        self.canonical_level = original.canonical_level
        self.scales = None if original.scales is None else list(original.scales)

    def forward(self, x: dict[str, torch.Tensor], boxes: list[torch.Tensor],
                image_shapes: list[tuple[int, int]]) -> torch.Tensor:
        # Levels in the order torchvision pools them: x's order, filtered.
        features = _filter_input(x, self.featmap_names)
        scales = self.scales
        if scales is None:
            scales, _ = _setup_scales(features, image_shapes, self.canonical_scale,
                                      self.canonical_level)
        rois = _convert_to_roi_format(boxes)
        oh, ow = self.output_size
        return torch.ops.ort_roi.multi_scale_roi_align(
            rois, features, [float(s) for s in scales], oh, ow, self.sampling_ratio,
            self.canonical_scale, self.canonical_level)


@contextmanager
def fused(model: nn.Module):
    """Yield the model with its MultiScaleRoIAlign modules swapped; swap them back.

    Only torchvision's own class is swapped: a subclass may change forward.
    """
    if type(model) is MultiScaleRoIAlign:
        yield FusedMultiScaleRoIAlign(model)
        return
    swaps = [(parent, name, child) for parent in model.modules()
             for name, child in parent.named_children() if type(child) is MultiScaleRoIAlign]
    try:
        for parent, name, child in swaps:
            setattr(parent, name, FusedMultiScaleRoIAlign(child))
        yield model
    finally:
        for parent, name, child in swaps:
            setattr(parent, name, child)


# ------------------------------------------------------------------ TorchScript


@parse_args("v", "v", "fs", "i", "i", "i", "i", "i")
def multi_scale_roi_align_ts(g, rois, features, scales, oh, ow, sampling_ratio,
                             canonical_scale, canonical_level):
    maps = _unpack_list(features)
    dims = [dim(rois, 0), dim(maps[0], 1), oh, ow]
    if len(maps) == 1:
        return ts_node(g, "RoIAlign", maps[0], rois, like=maps[0], dims=dims,
                       output_height_i=oh, output_width_i=ow, spatial_scale_f=scales[0],
                       sampling_ratio_i=sampling_ratio, aligned_i=0)
    return ts_node(g, "MultiScaleRoIAlign", rois, *maps, like=maps[0], dims=dims,
                   output_height_i=oh, output_width_i=ow, sampling_ratio_i=sampling_ratio,
                   spatial_scales_f=scales, canonical_scale_i=canonical_scale,
                   canonical_level_i=canonical_level, aligned_i=0)


# ------------------------------------------------------------ torch.export-based


def multi_scale_roi_align(rois, features, spatial_scales: list[float], output_height: int,
                          output_width: int, sampling_ratio: int, canonical_scale: int,
                          canonical_level: int):
    if len(features) == 1:
        return OPSET.RoIAlign(features[0], rois, output_height=output_height,
                              output_width=output_width, spatial_scale=spatial_scales[0],
                              sampling_ratio=sampling_ratio, aligned=0)
    # Inputs by name: torch 2.13's exporter hands a variadic input that follows
    # a plain one every positional argument, rois included.
    return OPSET.MultiScaleRoIAlign(
        rois=rois, X=list(features), output_height=output_height, output_width=output_width,
        sampling_ratio=sampling_ratio, spatial_scales=list(spatial_scales),
        canonical_scale=canonical_scale, canonical_level=canonical_level, aligned=0)
