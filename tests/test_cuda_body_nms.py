"""NMS's CUDA kernels, tested on any machine: their thread bodies run over
their whole launch grids on the host (host_grid.py), cub's radix sort
replaced by a stable sort of the same keys, and are compared index for
index with torchvision's CPU nms, whose arithmetic the CUDA kernels follow
(not torchvision's CUDA kernel's: see nms_cuda_body.h), on the CPU suite's
cases. Left for a GPU: cub's sort itself, the launches, the one wait."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import host_grid
from support import DTYPES, random_boxes
from test_nms import EDGE_CASES, NAN_CASES, THRESHOLDS, arrays, ours, theirs

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)
# 0: the device's own chunk size (one chunk below about 23,000 boxes);
# 64 and 128: a chunk per one or two column blocks, so that small inputs
# cross chunk boundaries too.
CHUNKS = [0, 64, 128]


def check(boxes, scores, threshold, chunk_rows=0):
    keep, count = host_grid.nms_buffer(boxes, scores, threshold, chunk_rows)
    # Exactly the first `count` slots are written, each a box index.
    assert (keep[count:] == -1).all() and ((keep[:count] >= 0) & (keep[:count] < len(boxes))).all()
    np.testing.assert_array_equal(keep[:count], theirs(boxes, scores, threshold))
    return keep[:count]


@pytest.mark.parametrize("chunk_rows", CHUNKS)
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case", EDGE_CASES + NAN_CASES, ids=[c[0] for c in EDGE_CASES + NAN_CASES])
def test_nms_edge_and_nan_cases(case, dtype, chunk_rows):
    _, rows, scores, threshold = case
    check(*arrays(rows, scores, dtype), threshold, chunk_rows)


def test_nms_threshold_is_compared_as_torchvision_compares():
    # IoU 3/10 against the double 0.3: suppressed in float32, kept in float64.
    boxes, scores = arrays([[0, 0, 10, 1], [7, 0, 10, 1]], [1, 0.5], np.float32)
    assert host_grid.nms(boxes, scores, 0.3).tolist() == [0]
    boxes, scores = boxes.astype(np.float64), scores.astype(np.float64)
    assert host_grid.nms(boxes, scores, 0.3).tolist() == [0, 1]


def test_nms_nan_scores_first_in_index_order():
    boxes, scores = arrays([[i * 20, 0, i * 20 + 10, 10] for i in range(6)],
                           [0.5, np.nan, 0.9, np.nan, np.inf, np.nan], np.float32)
    assert check(boxes, scores, 0.5).tolist() == [1, 3, 5, 4, 2, 0]


def test_nms_negative_nan_is_a_nan_too():
    # The sort key puts every NaN first, whatever its sign bit (torch's CPU
    # sort does; cub's radix sort of raw floats would put -NaN last).
    boxes, scores = arrays([[i * 20, 0, i * 20 + 10, 10] for i in range(4)], [0.5, 0, 0.9, 0],
                           np.float32)
    scores[1], scores[3] = -np.float32(np.nan), np.float32(np.nan)
    assert np.signbit(scores[1])
    assert check(boxes, scores, 0.5).tolist() == [1, 3, 2, 0]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 300), dtype=st.sampled_from(DTYPES), threshold=THRESHOLDS,
       integral=st.booleans(), tied=st.booleans(), nan_share=st.sampled_from([0.0, 0.0, 0.2]),
       chunk_rows=st.sampled_from(CHUNKS), seed=st.integers(0, 2**31))
def test_nms_random(n, dtype, threshold, integral, tied, nan_share, chunk_rows, seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, n, 20 + n / 4, dtype, integral)
    scores = (rng.choice([0.0, 0.25, 0.5, 1.0], n) if tied else rng.random(n)).astype(dtype)
    scores[rng.random(n) < nan_share] = np.nan
    check(boxes, scores, threshold, chunk_rows)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_nms_many_boxes_many_chunks(dtype):
    # 3000 boxes in 64-row chunks: 47 chunks, each row's words spanning the
    # chunk's own column block and every later one.
    rng = np.random.default_rng(4)
    boxes = random_boxes(rng, 3000, 300, dtype)
    scores = rng.choice(np.linspace(0, 1, 50), 3000).astype(dtype)
    assert 100 < len(check(boxes, scores, 0.5, chunk_rows=64)) < 3000


def test_nms_device_chunking_past_one_chunk():
    # 24,000 boxes: the device's own chunk size gives two chunks.
    rng = np.random.default_rng(11)
    boxes = random_boxes(rng, 24_000, 700, np.float32)
    scores = rng.choice(np.linspace(0, 1, 50), 24_000).astype(np.float32)
    assert 1000 < len(check(boxes, scores, 0.5)) < 24_000


@pytest.mark.parametrize("n", [1, 64, 120, 1000, 24_000, 200_000, 9_000_000])
def test_nms_mask_scratch_is_what_the_boxes_need(n):
    # One chunk of rows: at least a block of 64, at most every row (n rounded
    # up to 64), within the 64 MiB budget unless 64 rows alone exceed it.
    words = -(-n // 64)
    chunk = host_grid.nms_mask_bytes(n)
    assert chunk % (8 * words) == 0
    rows = chunk // (8 * words)
    assert rows % 64 == 0 and 64 <= rows <= 64 * words
    assert chunk <= 64 << 20 or rows == 64
    if n <= 1000:
        assert rows == 64 * words  # the whole mask, a few KiB: 120 boxes take 2 KiB
    else:
        assert chunk > (32 << 20) or rows == 64 * words  # big calls use the budget


def test_nms_disjoint_boxes_all_kept():
    # Nothing suppressed: every row of the greedy pass is kept.
    x = np.arange(5000, dtype=np.float32) * 10
    boxes = np.stack([x, x * 0, x + 5, x * 0 + 5], axis=1)
    scores = np.random.default_rng(5).random(5000).astype(np.float32)
    assert len(check(boxes, scores, 0.5, chunk_rows=128)) == 5000


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_nms_agrees_with_the_cpu_kernel(dtype):
    rng = np.random.default_rng(6)
    boxes = random_boxes(rng, 500, 60, dtype, integral=True)
    scores = rng.choice([0.2, 0.4, 0.6], 500).astype(dtype)
    np.testing.assert_array_equal(host_grid.nms(boxes, scores, 0.45, 64),
                                  ours(boxes, scores, 0.45))
