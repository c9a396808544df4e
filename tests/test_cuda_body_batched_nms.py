"""BatchedNMS's CUDA kernels, tested on any machine: their thread bodies run
over their whole launch grids on the host (host_grid.py), and are compared
index for index with what eager torchvision computes on CUDA: its path
chosen with the CUDA bound (cuda_trick_max_numel), the coordinate trick's
rounding, and above the bound the per-class kept boxes merged in the order
torch's CUDA sort gives (see batched_nms_cuda_body.h), the IoUs being those
of torchvision's CPU kernel (our contract on every device)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import host_grid
from ort_roi.export.nms import DEFAULT_CUDA_TRICK_MAX_NUMEL, trick_bounds
from support import DTYPES, random_boxes
from test_batched_nms import EDGE_CASES, STRATEGIES, SQUARE, arrays, ours, theirs, tied

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)
CUDA_BOUND = DEFAULT_CUDA_TRICK_MAX_NUMEL


def torch_cuda_small_sort(keys):
    """The permutation torch's CUDA sort(descending=True) gives for 2 to 32
    keys: SmallBitonicSort's network (aten/src/ATen/native/cuda/SortUtils.cuh,
    bitonicSort over 32 slots run by 16 threads, GTOp with NaN above all)."""
    keys = [float(k) for k in keys]
    slots = 32
    key = keys + [0.0] * (slots - len(keys))
    value = list(range(len(keys))) + [0] * (slots - len(keys))
    valid = [True] * len(keys) + [False] * (slots - len(keys))

    def greater(a, b):
        return (math.isnan(a) and not math.isnan(b)) or a > b

    def swap(a, b, direction):
        if ((greater(key[a], key[b]) and valid[a]) or not valid[b]) == direction:
            for arr in (key, value, valid):
                arr[a], arr[b] = arr[b], arr[a]

    def stage(stride, direction_of):
        for t in range(slots // 2):
            pos = 2 * t - (t & (stride - 1))
            swap(pos, pos + stride, direction_of(t))

    size = 2
    while size < slots:
        stride = size // 2
        while stride > 0:
            stage(stride, lambda t: (t & (size // 2)) != 0)
            stride //= 2
        size *= 2
    stride = slots // 2
    while stride > 0:
        stage(stride, lambda t: False)
        stride //= 2
    return np.array(value[:len(keys)], np.int64)


def torch_cuda_sort_descending(keys):
    """torch.sort(descending=True)'s permutation on CUDA: bitonic for 2 to
    32 keys, stable beyond (cub's merge and radix sorts), NaN first."""
    if 2 <= len(keys) <= 32:
        return torch_cuda_small_sort(keys)
    rank = [(0, 0.0) if math.isnan(k) else (1, -float(k)) for k in keys]
    return np.array(sorted(range(len(keys)), key=lambda k: rank[k]), np.int64)


def theirs_on_cuda(boxes, scores, idxs, threshold, strategy="torchvision",
                   cuda_trick_max_numel=CUDA_BOUND):
    if strategy == "torchvision":
        if boxes.size > cuda_trick_max_numel:
            # _batched_nms_vanilla: the per-class kept boxes in index order,
            # then sorted by torch's CUDA sort.
            kept = np.sort(theirs(boxes, scores, idxs, threshold, "per_class"))
            return kept[torch_cuda_sort_descending(scores[kept].astype(np.float64))]
        strategy = "coordinate_trick"
    return theirs(boxes, scores, idxs, threshold, strategy)


def check(boxes, scores, idxs, threshold, strategy="torchvision",
          cuda_trick_max_numel=CUDA_BOUND, chunk_rows=0):
    keep, count = host_grid.batched_nms_buffer(boxes, scores, idxs, threshold, strategy,
                                                cuda_trick_max_numel, chunk_rows)
    assert (keep[count:] == -1).all() and ((keep[:count] >= 0) & (keep[:count] < len(boxes))).all()
    expected = theirs_on_cuda(boxes, scores, idxs, threshold, strategy, cuda_trick_max_numel)
    np.testing.assert_array_equal(keep[:count], expected)
    return keep[:count]


def test_the_cuda_bound_is_the_installed_torchvisions():
    assert trick_bounds()[1] == CUDA_BOUND


@pytest.mark.parametrize("bound", [CUDA_BOUND, 0])  # 0: the per-class path with torch's merge
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_batched_edge_cases(case, dtype, strategy, bound):
    _, rows, scores, idxs, threshold = case
    check(*arrays(rows, scores, idxs, dtype), threshold, strategy, bound)


@pytest.mark.parametrize("bound", [CUDA_BOUND, 0])
@pytest.mark.parametrize("ties", ["all", "two"])
@pytest.mark.parametrize("classes", [1, 2, 13, 80])
@pytest.mark.parametrize("n", [1, 10, 33, 200, 1001, 2500])
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_batched_tied_scores_index_for_index(dtype, n, classes, ties, bound):
    # 2500 boxes: 10,000 coordinates, more than the 4096 partial maxima.
    check(*tied(n, classes, dtype, ties), 0.5, "torchvision", bound, chunk_rows=128)


@pytest.mark.parametrize("strategy", ["coordinate_trick", "per_class"])
@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_batched_agrees_with_the_cpu_kernel(dtype, strategy):
    # These two strategies do not depend on the device.
    boxes, scores, idxs = tied(700, 9, dtype, "two", seed=2)
    np.testing.assert_array_equal(host_grid.batched_nms(boxes, scores, idxs, 0.5, strategy),
                                  ours(boxes, scores, idxs, 0.5, strategy=strategy))


@pytest.mark.parametrize("bound", [0, 3, 4, 40, 41, 400])
@pytest.mark.parametrize("n", [0, 1, 10, 11, 100])
def test_batched_cuda_bound_attribute(n, bound):
    boxes, scores, idxs = tied(n, 7, np.float32, "two", seed=5)
    keep = check(boxes, scores, idxs, 0.5, cuda_trick_max_numel=bound)
    trick = theirs(boxes, scores, idxs, 0.5, "coordinate_trick")
    if 4 * n <= bound:
        np.testing.assert_array_equal(keep, trick)


def rounding_case(dtype=np.float32):
    # IoU just above 0.5 in class 99: per class suppresses box 1; offset by
    # 99 * 1001 in float32 the IoU rounds to just below 0.5 and box 1 stays.
    return arrays([SQUARE, [3.33305, 0, 13.33305, 10], [990, 990, 1000, 1000]],
                  [0.9, 0.8, 0.1], [99, 99, 0], dtype)


def test_batched_offset_rounding_decides_a_suppression():
    boxes, scores, idxs = rounding_case()
    assert check(boxes, scores, idxs, 0.5).tolist() == [0, 1, 2]
    assert check(boxes, scores, idxs, 0.5, "per_class").tolist() == [0, 2]
    assert check(boxes, scores, idxs, 0.5, cuda_trick_max_numel=0).tolist() == [0, 2]


def test_batched_float16_offsets_round_in_float16():
    boxes, scores, idxs = arrays([[100, 100, 104, 110], [101, 100, 105, 110], [0, 0, 1000, 1000]],
                                 [0.9, 0.8, 0.1], [3, 3, 0], np.float16)
    assert check(boxes, scores, idxs, 0.7).tolist() == [0, 2]
    assert check(boxes, scores, idxs, 0.7, "per_class").tolist() == [0, 1, 2]


@pytest.mark.parametrize("n", [25_000, 25_001])
def test_batched_the_real_cuda_bound_picks_the_path(n):
    # The rounding case padded with disjoint boxes of ten other classes: at
    # 25,000 boxes (100,000 coordinates) torchvision takes the trick on
    # CUDA and keeps box 1; one box more and it goes per class.
    boxes, scores, idxs = rounding_case()
    pad = n - 3
    x = 2000 + np.arange(pad, dtype=np.float32) * 3
    far = np.stack([x, x * 0, x + 1, x * 0 + 1], axis=1)
    boxes = np.concatenate([boxes, far])
    scores = np.concatenate([scores, np.full(pad, 0.01, np.float32)])
    idxs = np.concatenate([idxs, np.arange(pad) % 10 + 200])
    keep = check(boxes, scores, idxs, 0.5)
    assert keep[:2].tolist() == ([0, 1] if 4 * n <= CUDA_BOUND else [0, 2])


def test_batched_torch_merge_reorders_up_to_32_kept():
    # 20 disjoint boxes of equal score in 3 classes, above the bound: torch's
    # bitonic sort does not keep them in index order, and neither do we.
    x = np.arange(20, dtype=np.float64) * 20
    boxes = np.stack([x, x * 0, x + 10, x * 0 + 10], axis=1).astype(np.float32)
    scores = np.full(20, 0.5, np.float32)
    idxs = np.arange(20) % 3
    keep = check(boxes, scores, idxs, 0.5, cuda_trick_max_numel=0)
    assert sorted(keep) == list(range(20)) and keep.tolist() != list(range(20))
    # 33 kept: cub's stable merge sort, index order.
    x = np.arange(33, dtype=np.float64) * 20
    boxes = np.stack([x, x * 0, x + 10, x * 0 + 10], axis=1).astype(np.float32)
    keep = check(boxes, np.full(33, 0.5, np.float32), np.arange(33) % 3, 0.5,
                 cuda_trick_max_numel=0)
    assert keep.tolist() == list(range(33))


def test_torch_small_sort_is_a_descending_sort():
    # The Python transcription of torch's bitonic network that the checks
    # above compare with: a permutation into descending order, NaN first.
    rng = np.random.default_rng(3)
    for m in range(2, 33):
        keys = rng.choice([0.25, 0.5, 0.75, np.nan], m)
        perm = torch_cuda_small_sort(keys)
        assert sorted(perm) == list(range(m))
        ranked = [(0, 0.0) if np.isnan(k) else (1, -k) for k in keys[perm]]
        assert ranked == sorted(ranked)


def test_batched_nan_box_makes_every_offset_nan():
    # A NaN anywhere makes boxes.max() NaN, so every offset box is NaN and
    # nothing is suppressed; past 4096 coordinates the NaN is found by a
    # partial maximum other than the first.
    rng = np.random.default_rng(12)
    boxes = random_boxes(rng, 2000, 50, np.float32)
    boxes[1999, 2] = np.nan
    scores = rng.random(2000).astype(np.float32)
    idxs = rng.integers(0, 4, 2000)
    assert len(check(boxes, scores, idxs, 0.5)) == 2000


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 80), classes=st.integers(1, 100), dtype=st.sampled_from(DTYPES),
       threshold=st.one_of(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]),
                           st.floats(0, 1).map(lambda t: float(str(np.float32(t))))),
       integral=st.booleans(), tied_scores=st.booleans(),
       nan_share=st.sampled_from([0.0, 0.0, 0.2]),
       strategy=st.sampled_from(STRATEGIES), bound=st.sampled_from([CUDA_BOUND, 0, 100, 4000]),
       chunk_rows=st.sampled_from([0, 64]), seed=st.integers(0, 2**31))
def test_batched_random(n, classes, dtype, threshold, integral, tied_scores, nan_share, strategy,
                        bound, chunk_rows, seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, n, 20, dtype, integral)
    scores = (rng.choice([0.0, 0.25, 0.5, 1.0], n) if tied_scores else rng.random(n)).astype(dtype)
    scores[rng.random(n) < nan_share] = np.nan
    check(boxes, scores, rng.integers(-2, classes - 2, n, endpoint=True), threshold, strategy,
          bound, chunk_rows)
