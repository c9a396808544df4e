"""MultiScaleRoIAlign: torchvision's FPN pooler as one node."""

from __future__ import annotations

from ._common import (
    Attr,
    Node,
    check_last_dim,
    default,
    make_schema,
    required,
    tensor,
    variadic_tensor,
)
from .roi_pooling import ALIGNED, OUTPUT_HEIGHT, OUTPUT_WIDTH, ROIS, SAMPLING_RATIO

_FEATURES = variadic_tensor(
    "X",
    "T",
    "The L feature maps, finest first, each [N, C, H_l, W_l] with the same N and C.",
)
_Y = tensor("Y", "T", "Pooled features, shape [K, C, output_height, output_width], in roi order.")

_SPATIAL_SCALES = required(
    "spatial_scales",
    Attr.FLOATS,
    "Scale of each feature map relative to the input image, one per map, finest first.",
)
_CANONICAL_SCALE = default(
    "canonical_scale", 224, "Roi size (sqrt of area) that maps to canonical_level."
)
_CANONICAL_LEVEL = default(
    "canonical_level", 4, "FPN level of a roi of canonical_scale, as in torchvision's LevelMapper."
)


def _infer(node: Node) -> None:
    rois = node.shape(0, "rois", 2)
    check_last_dim(node, "rois", rois, 5)
    oh = node.positive_attr("output_height")
    ow = node.positive_attr("output_width")

    levels = node.num_inputs - 1
    scales = node.attr("spatial_scales")
    if len(scales) != levels:
        node.fail(f"spatial_scales has {len(scales)} values for {levels} feature maps")
    if any(not s > 0 for s in scales):  # written so that NaN fails too
        node.fail(f"spatial_scales must all be positive, got {list(scales)}")

    maps = [node.shape(1 + level, f"X_{level}", 4) for level in range(levels)]
    channels = node.merge("channel counts of the feature maps", *(m[1] for m in maps))
    node.set_output(0, node.elem_type(*range(node.num_inputs)), [rois[0], channels, oh, ow])


MULTI_SCALE_ROI_ALIGN = make_schema(
    "MultiScaleRoIAlign",
    "torchvision.ops.MultiScaleRoIAlign: each roi is assigned an FPN level by "
    "floor(canonical_level + log2(sqrt(area) / canonical_scale) + 1e-6), clamped to the "
    "levels that spatial_scales gives, and pooled there with RoIAlign.",
    inputs=[ROIS, _FEATURES],
    outputs=[_Y],
    attributes=[
        OUTPUT_HEIGHT,
        OUTPUT_WIDTH,
        SAMPLING_RATIO,
        _SPATIAL_SCALES,
        _CANONICAL_SCALE,
        _CANONICAL_LEVEL,
        ALIGNED,
    ],
    infer=_infer,
)

SCHEMAS = (MULTI_SCALE_ROI_ALIGN,)
