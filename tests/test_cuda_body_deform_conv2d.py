"""DeformConv2d's CUDA thread bodies (the deformable im2col grid and the
tiled GEMM, block by block), run on the host over their whole launch grids
(host_grid.py), against torchvision.ops.deform_conv2d on the cases of
test_deform_conv2d.py, and against the CPU kernel. Chunks of positions are
forced small to run the chunk loop, tiles partly outside the matrices, and
chunks that end inside an image."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import host_grid
from support import DTYPES, assert_close
from test_deform_conv2d import (GEOMETRY, OPTIONAL, dyadic, make_case, ours, random_case,
                                theirs)

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)


def cuda_body(inputs, attrs, chunk_bytes=0):
    return host_grid.deform_conv(*inputs, attrs["strides"], attrs["pads"], attrs["dilations"],
                                 attrs["group"], attrs["offset_group"], chunk_bytes)


def check(inputs, attrs, chunk_bytes=0):
    got = cuda_body(inputs, attrs, chunk_bytes)
    assert got.dtype == inputs[0].dtype
    assert_close(got, theirs(inputs, attrs), inputs[0].dtype.type)
    return got


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("bias, mask", OPTIONAL,
                         ids=["bias_mask", "bias_only", "mask_only", "neither"])
@pytest.mark.parametrize("case", GEOMETRY, ids=[c[0] for c in GEOMETRY])
def test_parity(case, bias, mask, dtype):
    rng = np.random.default_rng(len(case[0]))
    check(*make_case(rng, dtype, bias=bias, mask=mask, **case[1]))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("chunk_bytes", [1, 4000])
def test_chunks(chunk_bytes, dtype):
    # Chunks of 64 positions (the least) or so over 3 images of 7 x 8: most
    # chunks start or end inside an image, the last is a partial GEMM tile.
    rng = np.random.default_rng(1)
    inputs, attrs = make_case(rng, dtype, n=3, cin=6, cout=4, group=2, offset_group=3)
    got = check(inputs, attrs, chunk_bytes)
    np.testing.assert_array_equal(got, cuda_body(inputs, attrs))  # one chunk: same bits


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("shape", [
    # K = 30*9 = 270: 17 k steps, the last partial; Cout = 100: two row tiles;
    # 2*17*19 positions: 11 column tiles, the last partial.
    dict(n=2, cin=30, h=17, w=19, cout=100, k=(3, 3)),
    # 7x7 kernel over 64 channels, chunked: several chunks, some split mid-image.
    dict(n=2, cin=64, h=40, w=40, cout=7, k=(7, 7)),
], ids=["gemm_tiles", "several_chunks"])
def test_blocking_and_chunking_are_exact(shape, dtype):
    # Dyadic values: every sum is exact, so any order gives torchvision's bits.
    rng = np.random.default_rng(9)
    n, cin, h, w, cout, (kh, kw) = (shape[k] for k in ("n", "cin", "h", "w", "cout", "k"))
    pads = (kh // 2, kw // 2, kh // 2, kw // 2)
    inputs = [dyadic(rng, (n, cin, h, w), -4, 4, 1, dtype),
              dyadic(rng, (cout, cin, kh, kw), -2, 2, 1, dtype),
              dyadic(rng, (n, 2 * kh * kw, h, w), -3, 3, 0.25, dtype),
              dyadic(rng, (cout,), -8, 8, 0.5, dtype),
              dyadic(rng, (n, kh * kw, h, w), 0, 1, 0.25, dtype)]
    attrs = dict(strides=[1, 1], pads=list(pads), dilations=[1, 1], group=1, offset_group=1)
    chunk_bytes = 1 << 20 if cin == 64 else 0  # 1 MiB: 85 columns, rounded to 64
    got, want = cuda_body(inputs, attrs, chunk_bytes), theirs(inputs, attrs)
    if dtype == np.float16:
        assert_close(got, want, dtype)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_agrees_with_the_cpu_kernel(dtype):
    rng = np.random.default_rng(2)
    inputs, attrs = make_case(rng, dtype, n=2, cin=16, h=12, w=13, cout=70, group=2,
                              offset_group=4, strides=(1, 2), pads=(2, 1, 0, 1))
    assert_close(cuda_body(inputs, attrs), ours(inputs, attrs), dtype)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_offsets_far_outside_give_the_bias(dtype):
    rng = np.random.default_rng(7)
    inputs, attrs = make_case(rng, dtype)
    inputs[2] = np.where(rng.uniform(size=inputs[2].shape) < 0.5, -1e4, 1e4).astype(dtype)
    y = cuda_body(inputs, attrs)
    np.testing.assert_array_equal(y, np.broadcast_to(inputs[3][None, :, None, None], y.shape))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_non_finite_offsets_sample_zero(dtype):
    rng = np.random.default_rng(8)
    inputs, attrs = make_case(rng, dtype)
    bad = rng.uniform(size=inputs[2].shape) < 0.2
    far = inputs[2].copy()
    far[bad] = 1e4
    for value in (np.nan, np.inf, -np.inf):
        inputs[2][bad] = value
        np.testing.assert_array_equal(cuda_body(inputs, attrs),
                                      cuda_body([inputs[0], inputs[1], far, *inputs[3:]], attrs))


def test_empty_batch_and_no_input_channels():
    rng = np.random.default_rng(11)
    inputs, attrs = make_case(rng, np.float32, n=0)
    assert cuda_body(inputs, attrs).shape == (0, 6, 7, 8)
    inputs, attrs = make_case(rng, np.float32, cin=0, offset_group=1)
    y = cuda_body(inputs, attrs)
    np.testing.assert_array_equal(y, np.broadcast_to(inputs[3][None, :, None, None], y.shape))


@settings(max_examples=40, deadline=None)
@given(case=random_case(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31))
def test_random(case, dtype, seed):
    check(*make_case(np.random.default_rng(seed), dtype, **case))
