"""DeformConv2d: torchvision's deform_conv2d with the interface of ONNX DeformConv.

Input order and attribute names, types and defaults are those of the standard
DeformConv (opset 19), so moving a node between the two domains only changes
its domain and op type.
"""

from __future__ import annotations

from ._common import (
    Attr,
    Dim,
    Node,
    default,
    make_schema,
    optional,
    optional_tensor,
    tensor,
)

_INPUTS = [
    tensor("X", "T", "Input, shape [N, Cin, H, W]."),
    tensor("W", "T", "Weights, shape [Cout, Cin/group, kh, kw]."),
    tensor(
        "offset",
        "T",
        "Sampling offsets, shape [N, 2*offset_group*kh*kw, Ho, Wo], (dy, dx) pairs per tap.",
    ),
    optional_tensor("B", "T", "Bias, shape [Cout]; zero when absent."),
    optional_tensor(
        "mask",
        "T",
        "Modulation of each tap, shape [N, offset_group*kh*kw, Ho, Wo]; one when absent.",
    ),
]
_Y = tensor("Y", "T", "Output, shape [N, Cout, Ho, Wo].")

_ATTRIBUTES = [
    optional("dilations", Attr.INTS, "Dilation along each spatial axis; 1 when absent."),
    default("group", 1, "Number of groups the input and output channels are split into."),
    optional("kernel_shape", Attr.INTS, "Kernel size (kh, kw); read from W when absent."),
    default("offset_group", 1, "Number of groups of input channels sharing one set of offsets."),
    optional("pads", Attr.INTS, "(top, left, bottom, right) zero padding; 0 when absent."),
    optional("strides", Attr.INTS, "Stride along each spatial axis; 1 when absent."),
]


def _ints(node: Node, name: str, count: int, fallback: int) -> list[int]:
    values = node.attr(name)
    if values is None:
        return [fallback] * count
    if len(values) != count:
        node.fail(f"attribute '{name}' must have {count} values, got {list(values)}")
    return list(values)


def _output_size(
    node: Node, axis: str, size: Dim, kernel: Dim, stride: int, dilation: int, pads: int
) -> Dim:
    """Output length along one axis, as ONNX Conv computes it."""
    if not isinstance(kernel, int):
        return None
    reach = dilation * (kernel - 1) + 1
    if isinstance(size, int):
        out = (size + pads - reach) // stride + 1
        if out < 1:
            node.fail(f"the kernel (reach {reach}) does not fit the padded {axis} {size}+{pads}")
        return out
    # A size-preserving axis keeps the input's symbolic name.
    if stride == 1 and pads == reach - 1:
        return size
    return None


def _infer(node: Node) -> None:
    x = node.shape(0, "X", 4)
    w = node.shape(1, "W", 4)
    offset = node.shape(2, "offset", 4)
    bias = node.shape(3, "B", 1)
    mask = node.shape(4, "mask", 4)

    group = node.positive_attr("group")
    offset_group = node.positive_attr("offset_group")
    strides = _ints(node, "strides", 2, 1)
    dilations = _ints(node, "dilations", 2, 1)
    top, left, bottom, right = _ints(node, "pads", 4, 0)
    if min(strides + dilations) < 1:
        node.fail(f"strides {strides} and dilations {dilations} must be positive")

    kernel = node.attr("kernel_shape") or [None, None]
    if len(kernel) != 2:
        node.fail(f"attribute 'kernel_shape' must have 2 values, got {list(kernel)}")
    kh = node.merge("kernel_shape[0] and W's dim 2", kernel[0], w[2])
    kw = node.merge("kernel_shape[1] and W's dim 3", kernel[1], w[3])

    # Channel rules of the contract, checked where the sizes are known.
    if isinstance(w[1], int):
        node.merge("X's channels and W's dim 1 * group", x[1], w[1] * group)
    if isinstance(w[0], int) and w[0] % group:
        node.fail(f"W's {w[0]} output channels are not a multiple of group {group}")
    if isinstance(kh, int) and isinstance(kw, int):
        taps = offset_group * kh * kw
        node.merge("offset's channels and 2*offset_group*kh*kw", offset[1], 2 * taps)
        node.merge("mask's channels and offset_group*kh*kw", mask[1], taps)

    ho = _output_size(node, "height", x[2], kh, strides[0], dilations[0], top + bottom)
    wo = _output_size(node, "width", x[3], kw, strides[1], dilations[1], left + right)
    n = node.merge("batch sizes of X, offset and mask", x[0], offset[0], mask[0])
    cout = node.merge("W's dim 0 and B's length", w[0], bias[0])
    ho = node.merge("output height from X and offset's dim 2", ho, offset[2], mask[2])
    wo = node.merge("output width from X and offset's dim 3", wo, offset[3], mask[3])
    node.set_output(0, node.elem_type(0, 1, 2), [n, cout, ho, wo])


DEFORM_CONV2D = make_schema(
    "DeformConv2d",
    "torchvision.ops.deform_conv2d: a convolution whose taps are moved by learned "
    "offsets (sampled bilinearly) and, when mask is given, scaled by it.",
    inputs=_INPUTS,
    outputs=[_Y],
    attributes=_ATTRIBUTES,
    infer=_infer,
)

SCHEMAS = (DEFORM_CONV2D,)
