"""deform_conv2d -> DeformConv2d (ONNX DeformConv's inputs and attributes).

torchvision's schema:
    deform_conv2d(input, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w,
                  dilation_h, dilation_w, groups, offset_groups, use_mask)
Its Python wrapper passes a zero bias when none is given (kept: it is exact)
and a dummy mask with use_mask=False when none is given (dropped: our mask
input is optional). Node inputs: X, W, offset, B, then mask only when used.
"""

from __future__ import annotations

from torch.onnx.symbolic_helper import parse_args

from ._nodes import OPSET, dim, ts_node


def _attrs(stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, offset_groups) -> dict:
    return dict(strides=[stride_h, stride_w], pads=[pad_h, pad_w, pad_h, pad_w],
                dilations=[dil_h, dil_w], group=groups, offset_group=offset_groups)


@parse_args("v", "v", "v", "v", "v", "i", "i", "i", "i", "i", "i", "i", "i", "b")
def deform_conv2d_ts(g, x, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w,
                     dil_h, dil_w, groups, offset_groups, use_mask):
    attrs = _attrs(stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups, offset_groups)
    inputs = [x, weight, offset, bias] + ([mask] if use_mask else [])
    # The output's spatial size is offset's, whose shape torchvision checks.
    dims = [dim(x, 0), dim(weight, 0), dim(offset, 2), dim(offset, 3)]
    # TorchScript's g.op takes an attribute's type from a suffix of its name.
    typed = {f"{name}_i": value for name, value in attrs.items()}
    return ts_node(g, "DeformConv2d", *inputs, like=x, dims=dims, **typed)


def deform_conv2d(x, weight, offset, mask, bias, stride_h: int, stride_w: int, pad_h: int,
                  pad_w: int, dilation_h: int, dilation_w: int, groups: int,
                  offset_groups: int, use_mask: bool):
    attrs = _attrs(stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups,
                   offset_groups)
    if use_mask:
        return OPSET.DeformConv2d(x, weight, offset, bias, mask, **attrs)
    return OPSET.DeformConv2d(x, weight, offset, bias, **attrs)
