"""roi_align, roi_pool, ps_roi_align, ps_roi_pool -> RoIAlign, RoIPool, PSRoIAlign, PSRoIPool.

torchvision's own schemas, which both exporters hand us:
    roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned)
    roi_pool(input, rois, spatial_scale, pooled_height, pooled_width) -> (out, argmax)
    ps_roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio)
        -> (out, channel_mapping)
    ps_roi_pool(input, rois, spatial_scale, pooled_height, pooled_width) -> (out, channel_mapping)
Our nodes take the same rois [K, 5] and drop the second output, which only the
backward pass reads.
"""

from __future__ import annotations

from torch.onnx.symbolic_helper import parse_args

from ._nodes import OPSET, backward_only_output, dim, ts_node


def _pooled_dims(x, rois, oh: int, ow: int, position_sensitive: bool):
    channels = dim(x, 1)
    if position_sensitive and channels is not None:
        channels //= oh * ow
    return [dim(rois, 0), channels, oh, ow]


# ------------------------------------------------------------------ TorchScript


@parse_args("v", "v", "f", "i", "i", "i", "b")
def roi_align_ts(g, x, rois, spatial_scale, oh, ow, sampling_ratio, aligned):
    return ts_node(g, "RoIAlign", x, rois, like=x, dims=_pooled_dims(x, rois, oh, ow, False),
                   output_height_i=oh, output_width_i=ow, spatial_scale_f=spatial_scale,
                   sampling_ratio_i=sampling_ratio, aligned_i=int(aligned))


@parse_args("v", "v", "f", "i", "i")
def roi_pool_ts(g, x, rois, spatial_scale, oh, ow):
    y = ts_node(g, "RoIPool", x, rois, like=x, dims=_pooled_dims(x, rois, oh, ow, False),
                output_height_i=oh, output_width_i=ow, spatial_scale_f=spatial_scale)
    return y, None


@parse_args("v", "v", "f", "i", "i", "i")
def ps_roi_align_ts(g, x, rois, spatial_scale, oh, ow, sampling_ratio):
    y = ts_node(g, "PSRoIAlign", x, rois, like=x, dims=_pooled_dims(x, rois, oh, ow, True),
                output_height_i=oh, output_width_i=ow, spatial_scale_f=spatial_scale,
                sampling_ratio_i=sampling_ratio)
    return y, None


@parse_args("v", "v", "f", "i", "i")
def ps_roi_pool_ts(g, x, rois, spatial_scale, oh, ow):
    y = ts_node(g, "PSRoIPool", x, rois, like=x, dims=_pooled_dims(x, rois, oh, ow, True),
                output_height_i=oh, output_width_i=ow, spatial_scale_f=spatial_scale)
    return y, None


# ------------------------------------------------------------ torch.export-based


def roi_align(x, rois, spatial_scale: float, pooled_height: int, pooled_width: int,
              sampling_ratio: int, aligned: bool):
    return OPSET.RoIAlign(x, rois, output_height=pooled_height, output_width=pooled_width,
                          spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                          aligned=int(aligned))


def roi_pool(x, rois, spatial_scale: float, pooled_height: int, pooled_width: int):
    y = OPSET.RoIPool(x, rois, output_height=pooled_height, output_width=pooled_width,
                      spatial_scale=spatial_scale)
    return y, backward_only_output(y)


def ps_roi_align(x, rois, spatial_scale: float, pooled_height: int, pooled_width: int,
                 sampling_ratio: int):
    y = OPSET.PSRoIAlign(x, rois, output_height=pooled_height, output_width=pooled_width,
                         spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)
    return y, backward_only_output(y)


def ps_roi_pool(x, rois, spatial_scale: float, pooled_height: int, pooled_width: int):
    y = OPSET.PSRoIPool(x, rois, output_height=pooled_height, output_width=pooled_width,
                        spatial_scale=spatial_scale)
    return y, backward_only_output(y)
