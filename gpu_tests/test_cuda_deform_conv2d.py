"""DeformConv2d on CUDA: parity with torchvision's deform_conv2d on CUDA and
with our CPU kernel on the CPU suite's cases, exact where every sum is exact
(many GEMM tiles, several chunks of column scratch), placement on the GPU."""

import numpy as np
import pytest
import torch
import torchvision

from cuda_support import cuda_session, providers_by_node
from support import DTYPES, assert_close, one_node_model
from test_deform_conv2d import GEOMETRY, NAMES, OPTIONAL, dyadic, make_case, ours, theirs

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)


def inputs_of(inputs):
    given = {name: a for name, a in zip(NAMES, inputs) if a is not None}
    if inputs[3] is None and inputs[4] is not None:  # a mask without a bias: a zero bias
        given["B"] = np.zeros(inputs[1].shape[0], inputs[0].dtype)
        given = {name: given[name] for name in NAMES}
    return given


def ours_cuda(inputs, attrs):
    given = inputs_of(inputs)
    return cuda_session(one_node_model("DeformConv2d", given, **attrs)).run(None, given)[0]


def torchvision_cuda(inputs, attrs):
    """torchvision on CUDA, for symmetric pads (ONNX pads top = bottom, left = right)."""
    top, left, bottom, right = attrs["pads"]
    assert (top, left) == (bottom, right)
    t = [None if a is None else
         torch.from_numpy(a.astype(np.float32) if a.dtype == np.float16 else a).cuda()
         for a in inputs]
    x, w, offset, b, mask = t
    y = torchvision.ops.deform_conv2d(x, offset, w, b, tuple(attrs["strides"]), (top, left),
                                      tuple(attrs["dilations"]), mask)
    return y.cpu().numpy()


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("bias, mask", OPTIONAL,
                         ids=["bias_mask", "bias_only", "mask_only", "neither"])
@pytest.mark.parametrize("case", GEOMETRY, ids=[c[0] for c in GEOMETRY])
def test_matches_torchvision_and_our_cpu(case, bias, mask, dtype):
    rng = np.random.default_rng(len(case[0]))
    inputs, attrs = make_case(rng, dtype, bias=bias, mask=mask, **case[1])
    got = ours_cuda(inputs, attrs)
    assert got.dtype == dtype
    assert_close(got, theirs(inputs, attrs), dtype)
    assert_close(got, ours(inputs, attrs), dtype)
    top, left, bottom, right = attrs["pads"]
    if (top, left) == (bottom, right):
        assert_close(got, torchvision_cuda(inputs, attrs), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], **DTYPE_IDS)
@pytest.mark.parametrize("shape", [
    dict(n=2, cin=30, h=17, w=19, cout=100, k=(3, 3)),
    # 2304 column rows x 2 * 96 * 96 positions: 170 MB of float32 columns,
    # three chunks of 64 MiB, the second starting inside the second image.
    dict(n=2, cin=256, h=96, w=96, cout=64, k=(3, 3)),
], ids=["gemm_tiles", "several_chunks"])
def test_exact_where_every_sum_is_exact(shape, dtype):
    rng = np.random.default_rng(9)
    n, cin, h, w, cout, (kh, kw) = (shape[k] for k in ("n", "cin", "h", "w", "cout", "k"))
    pads = (kh // 2, kw // 2, kh // 2, kw // 2)
    inputs = [dyadic(rng, (n, cin, h, w), -4, 4, 1, dtype),
              dyadic(rng, (cout, cin, kh, kw), -2, 2, 1, dtype),
              dyadic(rng, (n, 2 * kh * kw, h, w), -3, 3, 0.25, dtype),
              dyadic(rng, (cout,), -8, 8, 0.5, dtype),
              dyadic(rng, (n, kh * kw, h, w), 0, 1, 0.25, dtype)]
    attrs = dict(strides=[1, 1], pads=list(pads), dilations=[1, 1], group=1, offset_group=1)
    got = ours_cuda(inputs, attrs)
    np.testing.assert_array_equal(got, torchvision_cuda(inputs, attrs))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_offsets_far_outside_give_the_bias(dtype):
    rng = np.random.default_rng(7)
    inputs, attrs = make_case(rng, dtype)
    inputs[2] = np.where(rng.uniform(size=inputs[2].shape) < 0.5, -1e4, 1e4).astype(dtype)
    y = ours_cuda(inputs, attrs)
    np.testing.assert_array_equal(y, np.broadcast_to(inputs[3][None, :, None, None], y.shape))


def test_runs_on_the_gpu_with_no_copies():
    inputs, attrs = make_case(np.random.default_rng(3), np.float32)
    given = inputs_of(inputs)
    sess = cuda_session(one_node_model("DeformConv2d", given, **attrs), profile=True)
    sess.run(None, given)
    ran = providers_by_node(sess)
    assert set(ran.values()) == {"CUDAExecutionProvider"}, ran


def test_a_hundred_runs_are_identical():
    inputs, attrs = make_case(np.random.default_rng(4), np.float32, n=2, cin=64, h=40, w=40,
                              cout=64, offset_group=4)
    given = inputs_of(inputs)
    sess = cuda_session(one_node_model("DeformConv2d", given, **attrs))
    first = sess.run(None, given)[0]
    for _ in range(99):
        np.testing.assert_array_equal(sess.run(None, given)[0], first)
