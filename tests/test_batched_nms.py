"""BatchedNMS: exact parity with torchvision's per-class batched_nms (its
vanilla path: indices and order, ties included), edge cases, NaN, 20,000
boxes, bad input."""

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto
from torchvision.ops.boxes import _batched_nms_coordinate_trick, _batched_nms_vanilla

import ort_roi.ops
from support import (DTYPES, assert_missing_attribute, assert_refused, random_boxes,
                     reference_inputs, run_node)

NAN, INF = float("nan"), float("inf")


def ours(boxes, scores, idxs, threshold, threads=0):
    return run_node("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs}, threads=threads,
                    out_type=TensorProto.INT64, iou_threshold=threshold)


def theirs(boxes, scores, idxs, threshold):
    # torchvision.ops.batched_nms takes this path above 1000 boxes on CPU;
    # below, it offsets boxes by class instead, which rounds differently.
    tb, ts = reference_inputs(boxes, scores)
    return _batched_nms_vanilla(tb, ts, torch.from_numpy(idxs), threshold).numpy()


def check(boxes, scores, idxs, threshold, threads=0):
    keep = ours(boxes, scores, idxs, threshold, threads)
    assert keep.dtype == np.int64 and keep.ndim == 1
    np.testing.assert_array_equal(keep, theirs(boxes, scores, idxs, threshold))
    return keep


def arrays(rows, scores, idxs, dtype):
    return (np.asarray(rows, np.float64).reshape(-1, 4).astype(dtype),
            np.asarray(scores, np.float64).astype(dtype), np.asarray(idxs, np.int64))


SQUARE = [0, 0, 10, 10]
EDGE_CASES = [
    ("no_boxes", [], [], [], 0.5),
    ("one_box", [SQUARE], [0.3], [7], 0.5),
    ("one_class", [SQUARE, [1, 1, 11, 11], [50, 0, 60, 10]], [0.5, 0.9, 0.7], [2, 2, 2], 0.5),
    ("same_box_other_classes_kept", [SQUARE] * 4, [0.5, 0.9, 0.7, 0.6], [0, 1, 0, 1], 0.5),
    ("negative_classes", [SQUARE] * 5, [0.1, 0.2, 0.3, 0.4, 0.5], [-3, -1, -3, 0, -1], 0.5),
    ("large_class_labels", [SQUARE] * 3, [0.1, 0.2, 0.3], [2**62, -(2**62), 2**62], 0.5),
    ("equal_scores_across_classes", [SQUARE] * 6, [1.0] * 6, [5, 4, 3, 2, 1, 0], 0.5),
    ("everything_suppressed_per_class", [SQUARE] * 6, [0.1, 0.9, 0.3, 0.9, 0.2, 0.0], [1, 1, 1, 2, 2, 2], 0.5),
    ("threshold_zero", [SQUARE, [9, 9, 20, 20], [10, 0, 20, 10]], [1, 0.9, 0.8], [0, 0, 0], 0.0),
    ("threshold_one", [SQUARE, SQUARE, SQUARE], [1, 0.9, 0.8], [0, 0, 1], 1.0),
    ("iou_exactly_threshold_0_3", [[0, 0, 10, 1], [7, 0, 10, 1]], [1, 0.5], [4, 4], 0.3),
    ("nan_scores", [SQUARE, SQUARE, SQUARE, [50, 0, 60, 10]], [0.5, NAN, NAN, 0.9], [0, 0, 1, 1], 0.5),
    ("nan_boxes", [[NAN, 0, 10, 10], SQUARE, [0, 0, 10, NAN], SQUARE], [1, 0.9, 0.8, 0.7], [0, 0, 1, 1], 0.5),
    ("inf_boxes_and_scores", [[-INF, 0, INF, 1], [0, 0, 1, 1], SQUARE, [0, 0, INF, INF]],
     [INF, 0.9, -INF, 0.7], [3, 3, 3, 3], 0.1),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, dtype):
    _, rows, scores, idxs, threshold = case
    check(*arrays(rows, scores, idxs, dtype), threshold)


def test_not_the_coordinate_trick():
    # IoU just above 0.5 in class 99: per-class NMS suppresses box 1, while
    # offsetting the boxes by 99 * 1001 rounds it to just below 0.5.
    boxes, scores, idxs = arrays([SQUARE, [3.33305, 0, 13.33305, 10], [990, 990, 1000, 1000]],
                                 [0.9, 0.8, 0.1], [99, 99, 0], np.float32)
    tb, ts, ti = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs)
    assert _batched_nms_coordinate_trick(tb, ts, ti, 0.5).tolist() == [0, 1, 2]
    assert check(boxes, scores, idxs, 0.5).tolist() == [0, 2]


def test_ties_merge_in_torchvisions_order():
    # torchvision merges the classes' kept boxes with torch's unstable sort;
    # with more than 16 kept boxes its order of equal scores is not index
    # order, and ours must be the same.
    rng = np.random.default_rng(7)
    n = 200
    x = np.arange(n, dtype=np.float64) * 20
    boxes = np.stack([x, x * 0, x + 10, x * 0 + 10], axis=1).astype(np.float32)
    scores = rng.choice([0.25, 0.5, 0.75], n).astype(np.float32)
    idxs = rng.integers(0, 5, n)
    keep = check(boxes, scores, idxs, 0.5)
    stable = np.argsort(-scores, kind="stable")
    assert not np.array_equal(keep, stable)  # so the case does test the order


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 80), classes=st.integers(1, 100), dtype=st.sampled_from(DTYPES),
       threshold=st.one_of(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]),
                           st.floats(0, 1).map(lambda t: float(str(np.float32(t))))),
       integral=st.booleans(), tied=st.booleans(), nan_share=st.sampled_from([0.0, 0.0, 0.2]),
       seed=st.integers(0, 2**31))
def test_random(n, classes, dtype, threshold, integral, tied, nan_share, seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, n, 20, dtype, integral)
    scores = (rng.choice([0.0, 0.25, 0.5, 1.0], n) if tied else rng.random(n)).astype(dtype)
    scores[rng.random(n) < nan_share] = np.nan
    check(boxes, scores, rng.integers(-2, classes - 2, n, endpoint=True), threshold)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_twenty_thousand_boxes_hundred_classes(dtype):
    rng = np.random.default_rng(8)
    boxes = random_boxes(rng, 20_000, 300, dtype)
    scores = rng.choice(np.linspace(0, 1, 50), 20_000).astype(dtype)
    idxs = rng.integers(0, 100, 20_000)
    keep = check(boxes, scores, idxs, 0.5)
    if dtype != np.float16:  # torchvision itself takes the vanilla path here
        tb, ts = torch.from_numpy(boxes), torch.from_numpy(scores)
        np.testing.assert_array_equal(keep, torchvision.ops.batched_nms(tb, ts, torch.from_numpy(idxs), 0.5))


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(9)
    boxes = random_boxes(rng, 3000, 100, np.float32)
    scores = rng.choice([0.1, 0.2, 0.3], 3000).astype(np.float32)
    idxs = rng.integers(0, 30, 3000)
    np.testing.assert_array_equal(check(boxes, scores, idxs, 0.5, threads=1),
                                  check(boxes, scores, idxs, 0.5, threads=4))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_ops_function(dtype):
    rng = np.random.default_rng(10)
    boxes = random_boxes(rng, 300, 50, dtype)
    scores = rng.random(300).astype(dtype)
    labels = rng.integers(0, 10, 300)
    keep = ort_roi.ops.batched_nms(boxes, scores, labels.astype(np.int32), 0.45)  # any integers
    assert keep.dtype == np.int64
    np.testing.assert_array_equal(keep, theirs(boxes, scores, labels, 0.45))
    with pytest.raises(TypeError, match="idxs must be integers"):
        ort_roi.ops.batched_nms(boxes, scores, labels.astype(np.float32), 0.45)


GOOD = arrays([SQUARE, [1, 1, 9, 9], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [0, 1, 0], np.float32)
BAD_INPUTS = [
    ("boxes_rank_3", (GOOD[0][None], GOOD[1], GOOD[2]), 0.5,
     "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got [1, 3, 4]"),
    ("boxes_int64", (GOOD[0].astype(np.int64), GOOD[1], GOOD[2]), 0.5,
     "input 'boxes' must be float32, float64 or float16, got int64"),
    ("scores_too_many", (GOOD[0], np.zeros(4, np.float32), GOOD[2]), 0.5,
     "input 'scores' must have shape [N] with N = 3 (one score per box), got [4]"),
    ("scores_float16_boxes_float64", (GOOD[0].astype(np.float64), GOOD[1].astype(np.float16), GOOD[2]), 0.5,
     "input 'scores' must have the type of 'boxes', float64, got float16"),
    ("idxs_int32", (GOOD[0], GOOD[1], GOOD[2].astype(np.int32)), 0.5,
     "input 'idxs' must be int64, got int32"),
    ("idxs_float32", (GOOD[0], GOOD[1], GOOD[2].astype(np.float32)), 0.5,
     "input 'idxs' must be int64, got float32"),
    ("idxs_rank_2", (GOOD[0], GOOD[1], GOOD[2][:, None]), 0.5,
     "input 'idxs' must have shape [N] with N = 3 (one class per box), got [3, 1]"),
    ("idxs_too_few", (GOOD[0], GOOD[1], GOOD[2][:2]), 0.5,
     "input 'idxs' must have shape [N] with N = 3 (one class per box), got [2]"),
    ("threshold_nan", GOOD, NAN, "attribute 'iou_threshold' must be a number, got NaN"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, (boxes, scores, idxs), threshold, message = case
    assert_refused("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs}, message,
                   out_type=TensorProto.INT64, iou_threshold=threshold)


def test_missing_threshold_is_refused_by_name():
    assert_missing_attribute("BatchedNMS", {"boxes": GOOD[0], "scores": GOOD[1], "idxs": GOOD[2]},
                             "required float attribute 'iou_threshold' is missing",
                             out_type=TensorProto.INT64)
