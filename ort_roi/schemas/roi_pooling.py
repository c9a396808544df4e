"""RoIAlign, RoIPool, PSRoIAlign and PSRoIPool: one feature map, one roi list."""

from __future__ import annotations

from ._common import (
    Attr,
    Dim,
    Node,
    check_last_dim,
    default,
    make_schema,
    required,
    tensor,
)

_X = tensor("X", "T", "Feature map, shape [N, C, H, W].")
_PS_X = tensor("X", "T", "Feature map, shape [N, C*output_height*output_width, H, W].")
ROIS = tensor(
    "rois",
    "T",
    "Regions, shape [K, 5]: rows (batch_index, x1, y1, x2, y2) in input-image coordinates.",
)
_Y = tensor("Y", "T", "Pooled features, shape [K, C, output_height, output_width].")

OUTPUT_HEIGHT = required("output_height", Attr.INT, "Height of each pooled output.")
OUTPUT_WIDTH = required("output_width", Attr.INT, "Width of each pooled output.")
_SPATIAL_SCALE = default(
    "spatial_scale", 1.0, "Factor from roi coordinates to feature-map coordinates."
)
SAMPLING_RATIO = default(
    "sampling_ratio",
    -1,
    "Sampling points per bin and axis; <= 0 picks ceil(roi_size / output_size) per roi.",
)
ALIGNED = default("aligned", 0, "1 shifts roi coordinates by -0.5 pixel before pooling.")


def _pooled(node: Node, position_sensitive: bool) -> None:
    n_c_h_w = node.shape(0, "X", 4)
    rois = node.shape(1, "rois", 2)
    check_last_dim(node, "rois", rois, 5)
    oh = node.positive_attr("output_height")
    ow = node.positive_attr("output_width")
    channels = n_c_h_w[1]
    if position_sensitive:
        channels = _groups_of_bins(node, channels, oh * ow)
    node.set_output(0, node.elem_type(0, 1), [rois[0], channels, oh, ow])


def _groups_of_bins(node: Node, channels: Dim, bins: int) -> Dim:
    """Output channels of a position-sensitive op: one per `bins` input channels."""
    # A symbolic count has no name for its quotient, so it becomes unknown.
    if not isinstance(channels, int):
        return None
    if channels % bins:
        node.fail(
            f"input 'X' has {channels} channels, which is not a multiple of "
            f"output_height*output_width = {bins}"
        )
    return channels // bins


def _infer_plain(node: Node) -> None:
    _pooled(node, position_sensitive=False)


def _infer_position_sensitive(node: Node) -> None:
    _pooled(node, position_sensitive=True)


ROI_ALIGN = make_schema(
    "RoIAlign",
    "torchvision.ops.roi_align: average of bilinear samples over each bin.",
    inputs=[_X, ROIS],
    outputs=[_Y],
    attributes=[OUTPUT_HEIGHT, OUTPUT_WIDTH, _SPATIAL_SCALE, SAMPLING_RATIO, ALIGNED],
    infer=_infer_plain,
)

ROI_POOL = make_schema(
    "RoIPool",
    "torchvision.ops.roi_pool: maximum over the pixels of each bin; an empty bin gives 0.",
    inputs=[_X, ROIS],
    outputs=[_Y],
    attributes=[OUTPUT_HEIGHT, OUTPUT_WIDTH, _SPATIAL_SCALE],
    infer=_infer_plain,
)

PS_ROI_ALIGN = make_schema(
    "PSRoIAlign",
    "torchvision.ops.ps_roi_align: RoIAlign where bin (ph, pw) of output channel c "
    "reads input channel (c*output_height + ph)*output_width + pw.",
    inputs=[_PS_X, ROIS],
    outputs=[_Y],
    attributes=[OUTPUT_HEIGHT, OUTPUT_WIDTH, _SPATIAL_SCALE, SAMPLING_RATIO],
    infer=_infer_position_sensitive,
)

PS_ROI_POOL = make_schema(
    "PSRoIPool",
    "torchvision.ops.ps_roi_pool: average over the pixels of each bin, where bin "
    "(ph, pw) of output channel c reads input channel (c*output_height + ph)*output_width + pw.",
    inputs=[_PS_X, ROIS],
    outputs=[_Y],
    attributes=[OUTPUT_HEIGHT, OUTPUT_WIDTH, _SPATIAL_SCALE],
    infer=_infer_position_sensitive,
)

SCHEMAS = (ROI_ALIGN, ROI_POOL, PS_ROI_ALIGN, PS_ROI_POOL)
