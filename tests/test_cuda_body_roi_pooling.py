"""The CUDA kernels' arithmetic and indexing, tested on any machine: each
kernel's per-thread body runs over its whole launch grid on the host
(host_grid.py) and is compared with torchvision, on the cases the CPU suite
uses. What is left for a GPU is the launch, the streams and the memory
(gpu_tests/, `make test-gpu`)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import host_grid
from roi_cases import (ABSURD_ROWS, EDGE_CASES, NON_FINITE_ROWS, OPS, PS_ROI_ALIGN,
                       POSITION_SENSITIVE_EDGE_CASES, ROI_POOL, rois_of)
from support import DTYPES, random_rois

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)
ROI_OPS = [op for op in OPS if op.host_grid is not None]
EDGE_RUNS = [(case, op, ratio, aligned) for op in ROI_OPS
             for case in EDGE_CASES + (POSITION_SENSITIVE_EDGE_CASES if op.position_sensitive else [])
             for ratio in op.ratios() for aligned in op.alignments()]


def check(op, x, rois, oh, ow, scale=1.0, ratio=-1, aligned=False):
    op.assert_matches(op.cuda_body(x, rois, oh, ow, scale, ratio, aligned),
                      op.theirs(x, rois, oh, ow, scale, ratio, aligned), x.dtype.type)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case, op, ratio, aligned", EDGE_RUNS,
                         ids=[f"{c[0]}-{op}-ratio{r}-{'aligned' if a else 'unaligned'}"
                              for c, op, r, a in EDGE_RUNS])
def test_roi_edge_cases(case, op, ratio, aligned, dtype):
    _, (n, c, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    check(op, op.feature(rng, n, c, h, w, oh, ow, dtype), rois_of(rows, dtype), oh, ow, scale,
          ratio, aligned)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", ROI_OPS, ids=str)
def test_roi_many_rois_and_channel_blocks(op, dtype):
    # 21 channels: two full blocks of channels per thread and a partial one.
    rng = np.random.default_rng(1)
    rois = random_rois(rng, 150, 3, 30, dtype)
    for oh, ow, scale, ratio, aligned in [(7, 7, 1.0, -1, False), (5, 4, 1.0, 2, True),
                                          (3, 3, 0.5, 2, False)]:
        x = op.feature(rng, 3, 21, 24, 31, oh, ow, dtype)
        check(op, x, rois, oh, ow, scale, ratio, aligned)


@pytest.mark.parametrize("op", ROI_OPS, ids=str)
def test_roi_agrees_with_the_cpu_kernel(op):
    rng = np.random.default_rng(4)
    x = op.feature(rng, 2, 10, 20, 20, 3, 3, np.float32)
    rois = random_rois(rng, 40, 2, 20, np.float32)
    np.testing.assert_allclose(op.cuda_body(x, rois, 3, 3), op.ours(x, rois, 3, 3),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", ROI_OPS, ids=str)
def test_roi_non_finite_boxes_give_zeros(op, dtype):
    rng = np.random.default_rng(3)
    x = op.feature(rng, 1, 3, 10, 10, 3, 3, dtype) + 5
    y = op.cuda_body(x, rois_of(NON_FINITE_ROWS, dtype), 3, 3)
    assert (y[:3] == 0).all()
    assert np.isfinite(y[3]).all() and (y[3] != 0).all()


@pytest.mark.parametrize("op", ROI_OPS, ids=str)
def test_roi_absurd_boxes_finish_and_stay_finite(op):
    x = np.ones((1, op.channels(2, 2, 2), 8, 8), np.float32)
    y = op.cuda_body(x, rois_of(ABSURD_ROWS, np.float32), 2, 2)
    assert y.shape == (3, 2, 2, 2) and np.isfinite(y).all() and y.max() <= 1.0


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", ROI_OPS, ids=str)
def test_roi_invalid_batch_index_gives_zeros(op, dtype):
    # On CUDA a batch index outside [0, N) or not whole gives that roi zeros
    # (the CPU refuses it): reading it would cost a copy and a sync per call.
    rng = np.random.default_rng(5)
    x = op.feature(rng, 2, 3, 10, 10, 2, 2, dtype) + 5
    rows = [[2, 1, 1, 6, 6], [-1, 1, 1, 6, 6], [0.5, 1, 1, 6, 6], [np.nan, 1, 1, 6, 6],
            [np.inf, 1, 1, 6, 6], [1, 1, 1, 6, 6]]
    y = op.cuda_body(x, rois_of(rows, dtype), 2, 2)
    assert (y[:5] == 0).all()
    good = rois_of(rows[5:], dtype)
    op.assert_matches(y[5:], op.theirs(x, good, 2, 2), dtype)


@settings(max_examples=40, deadline=None)
@given(op=st.sampled_from(ROI_OPS), n=st.integers(1, 3), c=st.integers(1, 20),
       h=st.integers(1, 24), w=st.integers(1, 24), k=st.integers(0, 12), oh=st.integers(1, 8),
       ow=st.integers(1, 8), scale=st.sampled_from([1.0, 0.5, 0.25, 2.0]),
       ratio=st.integers(-1, 4), aligned=st.booleans(), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**31))
def test_roi_random(op, n, c, h, w, k, oh, ow, scale, ratio, aligned, dtype, seed):
    rng = np.random.default_rng(seed)
    x = op.feature(rng, n, c, h, w, oh, ow, dtype)
    rois = random_rois(rng, k, n, max(h, w) / scale, dtype)
    check(op, x, rois, oh, ow, scale, ratio if op.sampling_ratio else -1,
          aligned and op.aligned)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_ps_roi_align_nan_and_negative_zero_as_on_the_cpu(dtype):
    # torchvision's unclamped division: a zero-size box gives 0 / 0 = NaN, a
    # box inverted on one side only -0; the thread body keeps both, as the
    # CPU kernel does. Y starts at a sentinel, not NaN, so that a bin the grid
    # never wrote cannot pass for a 0 / 0. Five output channels: a full block
    # of channels per thread and a partial one.
    rng = np.random.default_rng(6)
    x = PS_ROI_ALIGN.feature(rng, 2, 5, 10, 12, 2, 2, dtype) + 5
    rois = rois_of([[0, 4, 4, 4, 4], [1, 1, 6, 7, 1], [0, 9, 8, 2, 1], [1, 1, 1, 7, 6]], dtype)
    y = host_grid.ps_roi_align(x, rois, 2, 2, fill=7)
    assert not (y == 7).any()
    assert np.isnan(y[0]).all() and not np.isnan(y[1:]).any()
    assert (y[1] == 0).all() and np.signbit(y[1]).all()
    np.testing.assert_array_equal(np.signbit(y), np.signbit(PS_ROI_ALIGN.ours(x, rois, 2, 2)))
    PS_ROI_ALIGN.assert_matches(y, PS_ROI_ALIGN.theirs(x, rois, 2, 2), dtype)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_ps_roi_align_invalid_batch_index_gives_zeros_even_for_a_zero_size_box(dtype):
    # On an image the zero-size box is torchvision's 0 / 0 = NaN; with a batch
    # index outside [0, N) it is on no image, and the roi's zeros win.
    rng = np.random.default_rng(7)
    x = PS_ROI_ALIGN.feature(rng, 2, 3, 10, 10, 2, 2, dtype)
    rows = [[2, 4, 4, 4, 4], [-1, 4, 4, 4, 4], [np.nan, 4, 4, 4, 4], [1, 4, 4, 4, 4]]
    y = host_grid.ps_roi_align(x, rois_of(rows, dtype), 2, 2)
    assert (y[:3] == 0).all() and np.isnan(y[3]).all()


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_roi_pool_takes_the_first_of_equal_values_as_torchvision(dtype):
    # A map of +0 and -0 only: `>` keeps the first of two equal values, so
    # the sign of each bin's zero shows that every channel visits its bin's
    # pixels in torchvision's order.
    rng = np.random.default_rng(8)
    x = np.where(rng.random((2, 11, 9, 10)) < 0.5, -0.0, 0.0).astype(dtype)
    rois = random_rois(rng, 30, 2, 10, dtype)
    y, ref = host_grid.roi_pool(x, rois, 3, 4), ROI_POOL.theirs(x, rois, 3, 4)
    assert (y == 0).all() and np.signbit(ref).any() and not np.signbit(ref).all()
    np.testing.assert_array_equal(np.signbit(y), np.signbit(ref))


# (num_rois, channels, channels per thread, pooled_h, pooled_w): threads in all.
THREAD_GRIDS = [(3, 10, 4, 2, 3),                       # 54, a short last block
                (1_000, 256, 8, 7, 7),                  # a detector's, 1,568,000
                (65_537, 257, 1, 15, 17),               # 2^32 - 1: the last 32-bit one
                (2**24, 8, 8, 16, 16),                  # 2^32: the first 64-bit one
                (10**7, 256, 4, 7, 7),                  # 3.1e10
                (3, 2**33 + 5, 8, 3, 2)]                # a channel count past 32 bits


@pytest.mark.parametrize("grid", THREAD_GRIDS, ids=str)
def test_thread_decode_in_32_and_64_bits(grid):
    # The roi kernels decode a thread index in 32 bits when the whole grid
    # fits, in 64 otherwise; both must give Python's integer arithmetic.
    rois, channels, per, ph, pw = grid
    blocks = -(-channels // per)
    threads = rois * blocks * ph * pw
    rng = np.random.default_rng(threads % 1000)
    indices = {0, 1, pw - 1, pw, pw * ph, threads - 1, threads - pw, 2**31, 2**32 - 1, 2**32}
    indices = sorted(i for i in indices | set(rng.integers(0, threads, 200).tolist())
                     if 0 <= i < threads)
    for i in indices:
        c0 = i // (pw * ph) % blocks * per
        want = (i // (pw * ph * blocks), c0, i // pw % ph, i % pw, min(per, channels - c0))
        assert host_grid.thread_at(grid, i) == want, (grid, i)
