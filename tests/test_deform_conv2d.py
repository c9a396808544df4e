"""DeformConv2d: parity with torchvision.ops.deform_conv2d, edge cases, bad input."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import onnxruntime as ort
import pytest
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
import onnx
from onnx import TensorProto, helper, numpy_helper

import ort_roi
from ort_roi import ops
from support import (DTYPES, InvalidArgument, assert_close, assert_refused, one_node_model,
                     reference_inputs, run_node)

NAMES = ("X", "W", "offset", "B", "mask")


def out_size(size, k, stride, pad_sum, dilation):
    return (size + pad_sum - dilation * (k - 1) - 1) // stride + 1


def make_case(rng, dtype, n=2, cin=4, h=7, w=8, cout=6, k=(3, 3), group=1, offset_group=1,
              strides=(1, 1), pads=(1, 1, 1, 1), dilations=(1, 1), offset_scale=2.0,
              bias=True, mask=True):
    """Inputs (None where absent) and attributes of one node."""
    kh, kw = k
    ho = out_size(h, kh, strides[0], pads[0] + pads[2], dilations[0])
    wo = out_size(w, kw, strides[1], pads[1] + pads[3], dilations[1])
    taps = offset_group * kh * kw
    arrays = (
        rng.standard_normal((n, cin, h, w)),
        rng.standard_normal((cout, cin // group, kh, kw)) / np.sqrt(max(cin // group * kh * kw, 1)),
        rng.uniform(-offset_scale, offset_scale, (n, 2 * taps, ho, wo)),
        rng.standard_normal(cout) if bias else None,
        rng.uniform(0, 1, (n, taps, ho, wo)) if mask else None,
    )
    inputs = [None if a is None else a.astype(dtype) for a in arrays]
    attrs = dict(strides=list(strides), pads=list(pads), dilations=list(dilations), group=group,
                 offset_group=offset_group)
    return inputs, attrs


def ours(inputs, attrs, threads=0):
    given = {name: a for name, a in zip(NAMES, inputs) if a is not None}
    if inputs[3] is None and inputs[4] is not None:
        return run_without_bias(inputs, attrs)
    return run_node("DeformConv2d", given, threads=threads, **attrs)


def run_without_bias(inputs, attrs):
    """A node whose bias is absent ("") while its mask is given."""
    x, w, offset, _, mask = inputs
    elem = helper.np_dtype_to_tensor_dtype(x.dtype)
    node = helper.make_node("DeformConv2d", ["X", "W", "offset", "", "mask"], ["Y"], domain="ort_roi",
                            **attrs)
    graph = helper.make_graph([node], "g",
                              [helper.make_tensor_value_info(k, elem, None)
                               for k in ("X", "W", "offset", "mask")],
                              [helper.make_tensor_value_info("Y", elem, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)], ir_version=8)
    sess = ort_roi.InferenceSession(model.SerializeToString())
    return sess.run(None, {"X": x, "W": w, "offset": offset, "mask": mask})[0]


def theirs(inputs, attrs):
    """torchvision, which pads symmetrically only. For ONNX pads (top, left,
    bottom, right) it runs with padding (top, left), so every sampling point
    keeps its exact coordinate, then
    - bottom > top: appends bottom - top zero rows to X, which read exactly as
      torchvision's own out-of-image corners (a zero), and the output height
      is then ONNX's;
    - bottom < top: the symmetric output is taller; offset and mask get
      zero-filled extra rows and the extra output rows are cropped.
    (Padding X by all four pads with padding 0 would sample the same points
    mathematically, but shifts the integer part of every coordinate by top,
    so float32 rounds the bilinear weights differently: ~1e-6 apart, not
    torchvision's own numbers.) Columns likewise."""
    x, w, offset, b, mask = (None if a is None else reference_inputs(a)[0] for a in inputs)
    top, left, bottom, right = attrs["pads"]
    ho, wo = offset.shape[2:]
    x = F.pad(x, (0, max(right - left, 0), 0, max(bottom - top, 0)))
    kh, kw = w.shape[2:]
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    hs = out_size(x.shape[2], kh, sh, 2 * top, dh)
    ws = out_size(x.shape[3], kw, sw, 2 * left, dw)
    grow = (0, ws - wo, 0, hs - ho)
    offset = F.pad(offset, grow)
    mask = None if mask is None else F.pad(mask, grow)
    y = torchvision.ops.deform_conv2d(x, offset, w, b, (sh, sw), (top, left), (dh, dw), mask)
    return y[:, :, :ho, :wo].numpy()


def check(inputs, attrs):
    assert_close(ours(inputs, attrs), theirs(inputs, attrs), inputs[0].dtype.type)


# Each: (name, make_case keyword arguments)
GEOMETRY = [
    ("plain_3x3", {}),
    ("no_padding", dict(pads=(0, 0, 0, 0))),
    ("one_by_one_kernel", dict(k=(1, 1), pads=(0, 0, 0, 0))),
    ("kernel_2x3", dict(k=(2, 3), pads=(1, 0, 1, 0))),
    ("groups", dict(cin=6, cout=4, group=2)),
    ("depthwise", dict(cin=4, cout=8, group=4)),
    ("offset_groups", dict(cin=6, offset_group=3)),
    ("groups_and_offset_groups", dict(cin=8, cout=6, group=2, offset_group=4)),
    ("stride_pad_dilation_asymmetric", dict(strides=(2, 1), pads=(1, 2, 1, 2), dilations=(1, 2))),
    ("stride_3_dilation_3", dict(h=13, w=11, strides=(3, 2), pads=(2, 0, 2, 0), dilations=(3, 2))),
    ("asymmetric_pads_bottom_larger", dict(pads=(0, 1, 2, 3), strides=(2, 1))),
    ("asymmetric_pads_top_larger", dict(pads=(3, 2, 1, 0), dilations=(2, 1))),
    ("batch_of_three", dict(n=3)),
    ("one_by_one_map", dict(h=1, w=1, pads=(1, 1, 1, 1))),
    ("large_offsets", dict(offset_scale=12.0)),
]
OPTIONAL = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("bias, mask", OPTIONAL,
                         ids=["bias_mask", "bias_only", "mask_only", "neither"])
@pytest.mark.parametrize("case", GEOMETRY, ids=[c[0] for c in GEOMETRY])
def test_parity(case, bias, mask, dtype):
    rng = np.random.default_rng(len(case[0]))
    check(*make_case(rng, dtype, bias=bias, mask=mask, **case[1]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_zero_offsets_are_a_plain_convolution(dtype):
    rng = np.random.default_rng(5)
    pads = (2, 1, 0, 3)
    (x, w, offset, b, _), attrs = make_case(rng, dtype, cin=6, cout=4, group=2, strides=(2, 1),
                                            pads=pads, dilations=(1, 2), mask=False)
    offset[:] = 0
    tx, tw, tb = reference_inputs(x, w, b)
    top, left, bottom, right = pads
    want = F.conv2d(F.pad(tx, (left, right, top, bottom)), tw, tb, stride=(2, 1),
                    dilation=(1, 2), groups=2).numpy()
    assert_close(ours([x, w, offset, b, None], attrs), want, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sampling_at_the_borders(dtype):
    # Points at exactly -1 and H (dropped), just inside them, on the last
    # row and column, and half a pixel past it.
    rng = np.random.default_rng(6)
    inputs, attrs = make_case(rng, dtype, n=1, h=5, w=6, k=(1, 1), pads=(0, 0, 0, 0))
    points = [(-1, 0), (0, -1), (-0.999, 0.5), (-0.5, -0.5), (4, 5), (4.5, 5.25), (0, 6), (5, 0),
              (3.999, -0.25), (2.5, 5.75)]
    for i, (y, x) in enumerate(points):
        ho, wo = divmod(i, 6)  # this output position's grid point; the offset moves it to (y, x)
        inputs[2][0, :, ho, wo] = (y - ho, x - wo)
    check(inputs, attrs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_an_outside_corner_never_reads_its_neighbour(side, dtype):
    # A point half a pixel outside the left (right) edge has one corner
    # inside; the element just before (after) it in memory is the previous
    # (next) row's last (first) pixel, here infinite. Vector code that loads
    # both corners of a row at once must still read 0 for the outside one.
    rng = np.random.default_rng(14)
    inputs, attrs = make_case(rng, dtype, n=2, cin=3, h=6, w=40, k=(1, 1), pads=(0, 0, 0, 0), bias=False)
    x, offset = inputs[0], inputs[2]
    x[..., -1 if side == "left" else 0] = np.inf
    ho, wo = np.meshgrid(np.arange(6), np.arange(40), indexing="ij")
    offset[:, 0] = rng.uniform(-1, 6, (6, 40)) - ho  # any row, even outside
    offset[:, 1] = (-0.5 if side == "left" else 39.5) - wo
    got = ours(inputs, attrs)
    assert np.isfinite(got).all()
    check(inputs, attrs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_offsets_far_outside_give_the_bias(dtype):
    rng = np.random.default_rng(7)
    inputs, attrs = make_case(rng, dtype)
    inputs[2] = np.where(rng.uniform(size=inputs[2].shape) < 0.5, -1e4, 1e4).astype(dtype)
    y = ours(inputs, attrs)
    np.testing.assert_array_equal(y, np.broadcast_to(inputs[3][None, :, None, None], y.shape))
    check(inputs, attrs)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_non_finite_offsets_sample_zero(dtype):
    # torchvision indexes out of bounds on a NaN offset (floor(NaN) as int);
    # ort_roi defines it: that tap samples 0, like an offset far outside.
    rng = np.random.default_rng(8)
    inputs, attrs = make_case(rng, dtype)
    bad = rng.uniform(size=inputs[2].shape) < 0.2
    far = inputs[2].copy()
    far[bad] = 1e4
    for value in (np.nan, np.inf, -np.inf):
        inputs[2][bad] = value
        np.testing.assert_array_equal(ours(inputs, attrs), ours([inputs[0], inputs[1], far, *inputs[3:]], attrs))


def dyadic(rng, shape, low, high, step, dtype):
    """Values on a grid of `step` (a power of two): float32 sums of these are
    exact, so any summation order gives the same bits."""
    return (rng.integers(round(low / step), round(high / step) + 1, shape) * step).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [
    # K = 30*9 > a k slice (its runs of one tap's channels cut by the slice), Cout = 100:
    # several panels of B and a tail, tasks of positions that span both images
    dict(n=2, cin=30, h=17, w=19, cout=100, k=(3, 3)),
    # 7x7 kernel over 64 channels: K = 3136 in many slices, 3,200 positions in many tasks
    dict(n=2, cin=64, h=40, w=40, cout=7, k=(7, 7)),
    # tails everywhere: Cout = 29 against panels of 8, 16 and 32 columns, K = 23*9,
    # 11*13 positions per image against register blocks of 6 and 14 rows
    dict(n=3, cin=23, h=11, w=13, cout=29, k=(3, 3)),
    # one input channel, many outputs: K = 9 in one slice, Cout = 300 in many panels
    dict(n=1, cin=1, h=30, w=30, cout=300, k=(3, 3)),
    # 2x3 positions, too few tasks: the output channels are split across tasks too
    dict(n=1, cin=5, h=2, w=3, cout=100, k=(3, 3)),
], ids=["gemm_tiles", "many_slices", "tails", "short_k", "few_positions"])
def test_blocking_is_exact(shape, dtype):
    rng = np.random.default_rng(9)
    n, cin, h, w, cout, (kh, kw) = (shape[k] for k in ("n", "cin", "h", "w", "cout", "k"))
    pads = (kh // 2, kw // 2, kh // 2, kw // 2)
    inputs = [dyadic(rng, (n, cin, h, w), -4, 4, 1, dtype),
              dyadic(rng, (cout, cin, kh, kw), -2, 2, 1, dtype),
              dyadic(rng, (n, 2 * kh * kw, h, w), -3, 3, 0.25, dtype),
              dyadic(rng, (cout,), -8, 8, 0.5, dtype),
              dyadic(rng, (n, kh * kw, h, w), 0, 1, 0.25, dtype)]
    attrs = dict(strides=[1, 1], pads=list(pads), dilations=[1, 1], group=1, offset_group=1)
    got, want = ours(inputs, attrs), theirs(inputs, attrs)
    if dtype == np.float16:
        assert_close(got, want, dtype)
    else:
        np.testing.assert_array_equal(got, want)


def with_constant_weight(inputs, attrs):
    """The node with W an initializer, which the CPU kernel packs once when
    the session creates it, run on the other inputs."""
    given = {name: a for name, a in zip(NAMES, inputs) if a is not None}
    model = onnx.load_from_string(one_node_model("DeformConv2d", given, **attrs))
    model.graph.initializer.append(numpy_helper.from_array(given.pop("W"), "W"))
    del model.graph.input[1]
    so = ort.SessionOptions()
    so.log_severity_level = 4
    return ort_roi.InferenceSession(model.SerializeToString(), so).run(None, given)[0]


# With W fed, up to 112 positions (make_case's default 2 x 7 x 8 among them)
# each task packs its own panels as it goes (GemmPanels); past that, W is
# packed ahead once per call (GemmRows), as a constant W is once per session.
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [
    dict(cin=30, cout=100),                             # panels of B and a tail
    dict(cin=24, cout=30, group=2, offset_group=3),     # groups packed apart
    dict(cin=1, cout=300, mask=False, bias=False),      # K = 9, many panels
    dict(cin=8, cout=5, k=(7, 5), pads=(3, 2, 3, 2)),   # a non-square kernel, fewer outputs than a panel
    dict(n=1, cin=64, h=3, w=3, cout=200),              # a tiny map: 3 k slices x 7 panels per task
    dict(cin=30, cout=100, h=12, w=12),                 # 288 positions: W fed is packed ahead
], ids=["panels", "groups", "short_k", "kernel_7x5", "tiny_map", "packed_ahead"])
def test_a_constant_weight_is_packed_once_with_the_same_bits(shape, dtype):
    rng = np.random.default_rng(12)
    inputs, attrs = make_case(rng, dtype, **shape)
    got = with_constant_weight(inputs, attrs)
    np.testing.assert_array_equal(got, ours(inputs, attrs))
    assert_close(got, theirs(inputs, attrs), dtype)


@pytest.mark.parametrize("w, group, message", [
    (np.zeros((5, 3, 3, 3), np.float32), 2, "input 'W' has 5 output channels, which is not a multiple of group 2"),
    (np.zeros((4, 5, 3, 3), np.float32), 1, "input 'W' dim 1 must be Cin / group = 6 / 1 = 6, got"),
    (np.zeros((4, 6, 0, 3), np.float32), 1, "input 'W' must have a kernel of at least 1x1"),
], ids=["cout_not_multiple_of_group", "w_dim1_disagrees", "empty_kernel"])
def test_a_bad_constant_weight_is_refused_by_name(w, group, message):
    rng = np.random.default_rng(13)
    inputs, attrs = make_case(rng, np.float32, cin=6, cout=w.shape[0], group=group, h=8, w=8, mask=False)
    inputs[1] = w
    with pytest.raises(InvalidArgument, match=f"DeformConv2d: .*{re.escape(message)}"):
        with_constant_weight(inputs, attrs)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(10)
    inputs, attrs = make_case(rng, np.float32, n=2, cin=16, h=24, w=24, cout=32, offset_group=2)
    one, two = ours(inputs, attrs, threads=1), ours(inputs, attrs, threads=2)
    np.testing.assert_array_equal(one, two)
    assert_close(one, theirs(inputs, attrs), np.float32)


def test_empty_batch_and_no_input_channels():
    rng = np.random.default_rng(11)
    inputs, attrs = make_case(rng, np.float32, n=0)
    assert ours(inputs, attrs).shape == (0, 6, 7, 8)
    inputs, attrs = make_case(rng, np.float32, cin=0, offset_group=1)
    y = ours(inputs, attrs)
    np.testing.assert_array_equal(y, np.broadcast_to(inputs[3][None, :, None, None], y.shape))


@st.composite
def random_case(draw):
    group = draw(st.integers(1, 3))
    offset_group = draw(st.integers(1, 3))
    cin = group * offset_group * draw(st.integers(0, 2)) or group * offset_group
    cout = group * draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilations = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = tuple(draw(st.integers(0, 3)) for _ in range(4))
    reach = [d * (kk - 1) + 1 for d, kk in zip(dilations, k)]
    h = draw(st.integers(max(1, reach[0] - pads[0] - pads[2]), 12))
    w = draw(st.integers(max(1, reach[1] - pads[1] - pads[3]), 12))
    return dict(n=draw(st.integers(1, 3)), cin=cin, h=h, w=w, cout=cout, k=k, group=group,
                offset_group=offset_group, strides=strides, pads=pads, dilations=dilations,
                offset_scale=draw(st.sampled_from([0.5, 2.0, 6.0])), bias=draw(st.booleans()),
                mask=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(case=random_case(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31))
def test_random(case, dtype, seed):
    check(*make_case(np.random.default_rng(seed), dtype, **case))


# Bad input: each gives INVALID_ARGUMENT with a message naming op and problem.
def good(**changes):
    """X [2, 6, 8, 8], W [4, 6, 3, 3], pads 1: Y [2, 4, 8, 8]; then changes."""
    arrays = dict(X=np.zeros((2, 6, 8, 8), np.float32), W=np.zeros((4, 6, 3, 3), np.float32),
                  offset=np.zeros((2, 18, 8, 8), np.float32), B=np.zeros(4, np.float32),
                  mask=np.zeros((2, 9, 8, 8), np.float32))
    attrs = dict(pads=[1, 1, 1, 1])
    for k, v in changes.items():
        (arrays if k in arrays else attrs)[k] = v
    return {k: v for k, v in arrays.items() if v is not None}, attrs


F64 = np.float64
BAD_INPUTS = [
    ("x_rank_3", good(X=np.zeros((6, 8, 8), np.float32)), "input 'X' must have rank 4 [N, Cin, H, W]"),
    ("w_rank_3", good(W=np.zeros((4, 6, 9), np.float32)), "input 'W' must have rank 4 [Cout, Cin/group, kh, kw]"),
    ("offset_rank_2", good(offset=np.zeros((2, 18), np.float32)), "input 'offset' must have rank 4"),
    ("mask_rank_3", good(mask=np.zeros((2, 9, 64), np.float32)), "input 'mask' must have rank 4"),
    ("integer_x", good(X=np.zeros((2, 6, 8, 8), np.int32)), "input 'X' must be float32, float64 or float16, got"),
    ("dtype_mismatch", good(X=np.zeros((2, 6, 8, 8), F64)), "input 'W' must have X's type float64, got float32"),
    ("channels_not_multiple_of_group", good(group=4), "input 'X' has 6 channels, which is not a multiple of group 4"),
    ("w_dim1_disagrees", good(W=np.zeros((4, 5, 3, 3), np.float32)), "input 'W' dim 1 must be Cin / group = 6 / 1 = 6, got"),
    ("w_dim1_disagrees_with_group", good(group=2), "input 'W' dim 1 must be Cin / group = 6 / 2 = 3"),
    ("cout_not_multiple_of_group", good(W=np.zeros((5, 3, 3, 3), np.float32), B=np.zeros(5, np.float32), group=2),
     "input 'W' has 5 output channels, which is not a multiple of group 2"),
    ("channels_not_multiple_of_offset_group", good(offset_group=4, offset=np.zeros((2, 72, 8, 8), np.float32),
                                                   mask=np.zeros((2, 36, 8, 8), np.float32)),
     "input 'X' has 6 channels, which is not a multiple of offset_group 4"),
    ("offset_channels", good(offset=np.zeros((2, 17, 8, 8), np.float32)),
     "input 'offset' must have 2*offset_group*kh*kw = 18 channels, got shape [2, 17, 8, 8]"),
    ("offset_channels_for_offset_group", good(offset_group=2),
     "input 'offset' must have 2*offset_group*kh*kw = 36 channels"),
    ("offset_spatial", good(offset=np.zeros((2, 18, 8, 7), np.float32)),
     "input 'offset' must have the output's spatial size [8, 8], got shape [2, 18, 8, 7]"),
    ("offset_batch", good(offset=np.zeros((1, 18, 8, 8), np.float32)), "input 'offset' must have X's batch size 2"),
    ("mask_channels", good(mask=np.zeros((2, 8, 8, 8), np.float32)),
     "input 'mask' must have offset_group*kh*kw = 9 channels"),
    ("mask_spatial", good(mask=np.zeros((2, 9, 6, 6), np.float32)), "input 'mask' must have the output's spatial size"),
    ("mask_batch", good(mask=np.zeros((3, 9, 8, 8), np.float32)), "input 'mask' must have X's batch size 2"),
    ("bias_length", good(B=np.zeros(5, np.float32)), "input 'B' must have shape [Cout] = [4], got [5]"),
    ("bias_rank_2", good(B=np.zeros((4, 1), np.float32)), "input 'B' must have shape [Cout] = [4], got [4, 1]"),
    ("zero_stride", good(strides=[0, 1]), "attribute 'strides' values must be in [1, 2147483647], got [0, 1]"),
    ("one_stride_value", good(strides=[1]), "attribute 'strides' must have 2 values, got [1]"),
    ("zero_dilation", good(dilations=[1, 0]), "attribute 'dilations' values must be in [1,"),
    ("negative_pad", good(pads=[1, -1, 1, 1]), "attribute 'pads' values must be in [0, 2147483647], got [1, -1, 1, 1]"),
    ("two_pads", good(pads=[1, 1]), "attribute 'pads' must have 4 values, got [1, 1]"),
    ("huge_pad", good(pads=[1, 1, 1 << 40, 1]), "attribute 'pads' values must be in [0, 2147483647]"),
    ("zero_group", good(group=0), "attribute 'group' must be positive, got 0"),
    ("zero_offset_group", good(offset_group=0), "attribute 'offset_group' must be positive, got 0"),
    ("kernel_shape_disagrees", good(kernel_shape=[3, 2]), "attribute 'kernel_shape' [3, 2] disagrees with input 'W' kernel size [3, 3]"),
    ("empty_kernel", good(W=np.zeros((4, 6, 0, 3), np.float32)), "input 'W' must have a kernel of at least 1x1"),
    ("kernel_does_not_fit", good(dilations=[5, 1]),
     "the kernel (height 3, dilation 5) does not fit input 'X' height 8 plus pads 1 + 1"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, (inputs, attrs), message = case
    assert_refused("DeformConv2d", inputs, message, **attrs)


# The NumPy API: torchvision's signature.
def test_ops_deform_conv2d_takes_torchvision_arguments():
    rng = np.random.default_rng(12)
    inputs, attrs = make_case(rng, np.float32, cin=6, cout=4, group=2, offset_group=3,
                              strides=(2, 1), pads=(1, 2, 1, 2), dilations=(1, 2))
    x, w, offset, b, mask = inputs
    want = theirs(inputs, attrs)
    assert_close(ops.deform_conv2d(x, offset, w, b, (2, 1), (1, 2), (1, 2), mask), want, np.float32)
    assert_close(ops.deform_conv2d(x, offset, w, b, stride=(2, 1), padding=(1, 2, 1, 2),
                                   dilation=(1, 2), mask=mask), want, np.float32)
    want = theirs([x, w, offset, None, mask], attrs)
    assert_close(ops.deform_conv2d(x, offset, w, None, (2, 1), (1, 2), (1, 2), mask), want, np.float32)


def test_ops_deform_conv2d_int_arguments_and_dcn_v1():
    rng = np.random.default_rng(13)
    inputs, attrs = make_case(rng, np.float64, pads=(2, 2, 2, 2), strides=(2, 2), mask=False, bias=False)
    x, w, offset, _, _ = inputs
    assert_close(ops.deform_conv2d(x, offset, w, stride=2, padding=2), theirs(inputs, attrs), np.float64)


def test_ops_deform_conv2d_refuses_offsets_without_a_whole_group():
    x, w = np.zeros((1, 2, 5, 5), np.float32), np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="offset has 8 channels"):
        ops.deform_conv2d(x, np.zeros((1, 8, 3, 3), np.float32), w)


def test_ort_infers_the_output_shape():
    nodes = [helper.make_node("DeformConv2d", ["X", "W", "offset"], ["Y"], domain="ort_roi",
                              strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2]),
             helper.make_node("Relu", ["Y"], ["Z"])]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4, 9, 10]),
                           helper.make_tensor_value_info("W", TensorProto.FLOAT, [7, 4, 3, 2]),
                           helper.make_tensor_value_info("offset", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    if tuple(int(p) for p in ort.__version__.split(".")[:2]) < (1, 24):
        # No shape inference for DeformConv2d there (see OLDEST_RUN below):
        # the type still comes through, the shape does not.
        assert z.type == "tensor(float)" and not z.shape
        return
    # Ho = (9 + 3 - 3) // 2 + 1 = 5, Wo = (10 + 1 - 3) // 1 + 1 = 9
    assert z.shape == ["N", 7, 5, 9]


# ONNX Runtime before 1.24 crashes while building a session whose custom
# node skips an optional input in the middle ("" for B with a mask given)
# when the op has shape inference; the library leaves DeformConv2d's out
# there (kernels/ort/custom_op.h), so 1.21 runs such a node too.
OLDEST_RUN = textwrap.dedent("""
    import sys
    import numpy as np, onnxruntime as ort
    from onnx import TensorProto, helper
    r = np.random.default_rng(0)
    data = {"X": r.standard_normal((1, 2, 4, 4)), "W": r.standard_normal((3, 2, 3, 3)),
            "offset": r.standard_normal((1, 18, 4, 4)), "B": r.standard_normal(3),
            "mask": r.uniform(size=(1, 9, 4, 4))}
    for names in (["X", "W", "offset"], ["X", "W", "offset", "B", "mask"],
                  ["X", "W", "offset", "", "mask"]):
        node = helper.make_node("DeformConv2d", names, ["Y"], domain="ort_roi", pads=[1, 1, 1, 1])
        g = helper.make_graph([node], "g",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names if n],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("ort_roi", 1)], ir_version=8)
        so = ort.SessionOptions()
        so.register_custom_ops_library(sys.argv[1])
        s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        y = s.run(None, {n: data[n].astype(np.float32) for n in names if n})[0]
        print(ort.__version__, y.ravel().tolist())
""")


def test_runs_in_the_oldest_supported_onnxruntime():
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    lib = ort_roi.get_library_path()
    runs = [subprocess.run([sys.executable, "-c", OLDEST_RUN, lib], env=env, check=True,
                           capture_output=True, text=True).stdout
            for env in (dict(os.environ, PYTHONPATH=oldest), dict(os.environ))]
    assert runs[0].count("1.21.0 ") == 3 and runs[1].count(ort.__version__ + " ") == 3
    assert runs[0].replace("1.21.0 ", "") == runs[1].replace(ort.__version__ + " ", "")
