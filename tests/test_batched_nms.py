"""BatchedNMS: index for index what torchvision.ops.batched_nms gives, both
of its paths, the bound between them, the offset boxes' rounding and every
tie; the "coordinate_trick" and "per_class" strategies; edge cases, NaN,
20,000 boxes, bad input."""

import itertools

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto
from torchvision.ops.boxes import _batched_nms_coordinate_trick, _batched_nms_vanilla

import ort_roi.ops
from ort_roi.export.nms import reference_batched_nms
from nms_cases import crowded_boxes, tied_scores
from support import DTYPES, assert_missing_attribute, assert_refused, random_boxes, run_node

NAN, INF = float("nan"), float("inf")
STRATEGIES = ("torchvision", "coordinate_trick", "per_class")


def ours(boxes, scores, idxs, threshold, threads=0, **attrs):
    return run_node("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs}, threads=threads,
                    out_type=TensorProto.INT64, iou_threshold=threshold, **attrs)


def theirs(boxes, scores, idxs, threshold, strategy="torchvision", **bounds):
    """torchvision's answer, computed now. With the default strategy and bounds
    on float32/float64 that is torchvision.ops.batched_nms itself; otherwise
    torchvision's two paths called by reference_batched_nms (float16: its
    offsets in float16, its nms on those values in float32, since
    torchvision's CPU nms has no float16 kernel)."""
    tb, ts, ti = map(torch.from_numpy, (boxes, scores, idxs))
    keep = reference_batched_nms(tb, ts, ti, threshold, strategy, **bounds)
    if strategy == "torchvision" and not bounds and boxes.dtype != np.float16:
        np.testing.assert_array_equal(keep, torchvision.ops.batched_nms(tb, ts, ti, threshold))
    return keep.numpy()


def check(boxes, scores, idxs, threshold, strategy=None, threads=0, **bounds):
    attrs = dict(bounds, **({} if strategy is None else {"strategy": strategy}))
    keep = ours(boxes, scores, idxs, threshold, threads, **attrs)
    assert keep.dtype == np.int64 and keep.ndim == 1
    np.testing.assert_array_equal(keep, theirs(boxes, scores, idxs, threshold,
                                               strategy or "torchvision", **bounds))
    return keep


def arrays(rows, scores, idxs, dtype):
    return (np.asarray(rows, np.float64).reshape(-1, 4).astype(dtype),
            np.asarray(scores, np.float64).astype(dtype), np.asarray(idxs, np.int64))


def torch_paths(boxes, scores, idxs, threshold):
    """(coordinate trick, per class) as torchvision computes them, float32/64."""
    tb, ts, ti = map(torch.from_numpy, (boxes, scores, idxs))
    return (_batched_nms_coordinate_trick(tb, ts, ti, threshold).numpy(),
            _batched_nms_vanilla(tb, ts, ti, threshold).numpy())


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
    ("negative_coordinates", [[-50, -50, -40, -40], [-49, -50, -39, -40], [-45, -45, -35, -35]],
     [0.9, 0.8, 0.7], [1, 1, 2], 0.3),
    ("nan_scores", [SQUARE, SQUARE, SQUARE, [50, 0, 60, 10]], [0.5, NAN, NAN, 0.9], [0, 0, 1, 1], 0.5),
    ("nan_boxes", [[NAN, 0, 10, 10], SQUARE, [0, 0, 10, NAN], SQUARE], [1, 0.9, 0.8, 0.7], [0, 0, 1, 1], 0.5),
    ("inf_boxes_and_scores", [[-INF, 0, INF, 1], [0, 0, 1, 1], SQUARE, [0, 0, INF, INF]],
     [INF, 0.9, -INF, 0.7], [3, 3, 3, 3], 0.1),
]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, dtype, strategy):
    _, rows, scores, idxs, threshold = case
    check(*arrays(rows, scores, idxs, dtype), threshold, strategy)


def tied(n, classes, dtype, ties, seed=0):
    """n overlapping boxes of `classes` classes whose scores are all equal
    ("all") or take two values ("two")."""
    rng = np.random.default_rng(seed + 1000 * n + classes)
    boxes = random_boxes(rng, n, 40 + n ** 0.5 * 10, dtype, integral=bool(seed % 2))
    scores = np.full(n, 0.5) if ties == "all" else rng.choice([0.25, 0.75], n)
    return boxes, scores.astype(dtype), rng.integers(0, classes, n)


# Both sides of the CPU bound (1000 boxes = 4000 elements), and far above it.
@pytest.mark.parametrize("ties", ["all", "two"])
@pytest.mark.parametrize("classes", [1, 2, 13, 80])
@pytest.mark.parametrize("n", [1, 10, 999, 1000, 1001, 5000])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tied_scores_index_for_index(dtype, n, classes, ties):
    check(*tied(n, classes, dtype, ties), 0.5)


@pytest.mark.parametrize("n", [999, 1000, 1001])
def test_the_bound_picks_torchvisions_path(n):
    # Tied scores and 40 classes: the trick keeps equal scores in index order,
    # the per-class merge in std::sort's order, and the two differ, so the
    # answer shows which path was taken.
    boxes, scores, idxs = tied(n, 40, np.float32, "two", seed=3)
    trick, per_class = torch_paths(boxes, scores, idxs, 0.5)
    assert not np.array_equal(trick, per_class)
    keep = check(boxes, scores, idxs, 0.5)
    np.testing.assert_array_equal(keep, trick if 4 * n <= 4000 else per_class)
    np.testing.assert_array_equal(check(boxes, scores, idxs, 0.5, "coordinate_trick"), trick)
    stable = check(boxes, scores, idxs, 0.5, "per_class")
    assert sorted(stable) == sorted(per_class)
    np.testing.assert_array_equal(stable, sorted(stable, key=lambda k: (-scores[k], k)))


@pytest.mark.parametrize("bound", [0, 3, 4, 40, 41, 400])
@pytest.mark.parametrize("n", [0, 1, 10, 11, 100])
def test_bound_attribute(n, bound):
    boxes, scores, idxs = tied(n, 7, np.float32, "two", seed=5)
    check(boxes, scores, idxs, 0.5, cpu_trick_max_numel=bound)
    # The CUDA bound plays no part on the CPU.
    check(boxes, scores, idxs, 0.5, cuda_trick_max_numel=bound)


def test_offset_rounding_decides_a_suppression():
    # IoU just above 0.5 in class 99: per-class NMS suppresses box 1, while
    # offsetting the boxes by 99 * 1001 in float32 rounds it to just below 0.5.
    boxes, scores, idxs = arrays([SQUARE, [3.33305, 0, 13.33305, 10], [990, 990, 1000, 1000]],
                                 [0.9, 0.8, 0.1], [99, 99, 0], np.float32)
    assert check(boxes, scores, idxs, 0.5).tolist() == [0, 1, 2]  # torchvision's trick
    assert check(boxes, scores, idxs, 0.5, "coordinate_trick").tolist() == [0, 1, 2]
    assert check(boxes, scores, idxs, 0.5, "per_class").tolist() == [0, 2]
    # Above the bound torchvision loops over classes, and so do we.
    far = np.tile(np.array([[5000, 5000, 5001, 5001]], np.float32), (1000, 1))
    many = (np.concatenate([boxes, far]), np.concatenate([scores, np.full(1000, 0.01, np.float32)]),
            np.concatenate([idxs, np.arange(1000) + 200]))
    assert check(*many, 0.5)[:2].tolist() == [0, 2]


def test_float16_offsets_round_in_float16():
    # Class 3 of boxes up to 1000: the offset 3 * 1001 = 3003 is 3004 in
    # float16 and the shifted coordinates round to steps of 2 or 4, which
    # merges two boxes 1 px apart: the trick suppresses one, per class keeps both.
    boxes, scores, idxs = arrays([[100, 100, 104, 110], [101, 100, 105, 110], [0, 0, 1000, 1000]],
                                 [0.9, 0.8, 0.1], [3, 3, 0], np.float16)
    assert check(boxes, scores, idxs, 0.7).tolist() == [0, 2]
    assert check(boxes, scores, idxs, 0.7, "per_class").tolist() == [0, 1, 2]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_trick_suppresses_across_classes_that_meet(dtype):
    # Boxes up to 100, so the trick moves class c by 101 * c on both axes. A
    # box of class c + 1 that reaches below 0 lands on class c's corner box:
    # at -10 the two overlap 9 x 9 (IoU 0.68) and the trick suppresses one,
    # at -1 they touch and both stay. A class reaching below 0 on x alone
    # still lies apart on y. 40 more classes of boxes in [0, 100] around them.
    rng = np.random.default_rng(21)
    others = random_boxes(rng, 400, 60, np.float64)
    for reach in (1, 10):
        corner, below = [90, 90, 100, 100], [-reach, -reach, 10 - reach, 10 - reach]
        rows = [corner, below, [-50, 0, -40, 10], *others]
        scores = [0.9, 0.8, 0.7, *rng.random(400)]
        idxs = [3, 4, 4, *rng.integers(5, 45, 400)]
        boxes, scores, idxs = arrays(rows, scores, idxs, dtype)
        keep = check(boxes, scores, idxs, 0.5)
        assert (1 in keep) == (reach == 1)
        check(boxes, scores, idxs, 0.5, "coordinate_trick")
    # And through one class's spatial search (kept_grid.h): 1000 boxes, two classes.
    boxes = np.concatenate([random_boxes(rng, 998, 60, np.float64), [[90, 90, 100, 100],
                                                                    [-10, -10, 0, 0]]])
    idxs = np.concatenate([rng.integers(0, 2, 998), [0, 1]])
    keep = check(*arrays(boxes, np.concatenate([rng.random(998) / 2, [0.9, 0.8]]), idxs, dtype),
                 0.5)
    assert 999 not in keep and 998 in keep


def test_ties_merge_in_torchvisions_order():
    # Above the bound torchvision merges the classes' kept boxes with torch's
    # unstable sort; with more than 16 kept its order of equal scores is not
    # index order, and ours must be the same.
    rng = np.random.default_rng(7)
    n = 1200
    x = np.arange(n, dtype=np.float64) * 20
    boxes = np.stack([x, x * 0, x + 10, x * 0 + 10], axis=1).astype(np.float32)
    scores = rng.choice([0.25, 0.5, 0.75], n).astype(np.float32)
    idxs = rng.integers(0, 5, n)
    keep = check(boxes, scores, idxs, 0.5)
    assert not np.array_equal(keep, np.argsort(-scores, kind="stable"))  # the case tests order


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 80), classes=st.integers(1, 100), dtype=st.sampled_from(DTYPES),
       threshold=st.one_of(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]),
                           st.floats(0, 1).map(lambda t: float(str(np.float32(t))))),
       integral=st.booleans(), tied=st.booleans(), nan_share=st.sampled_from([0.0, 0.0, 0.2]),
       strategy=st.sampled_from(STRATEGIES), bound=st.sampled_from([None, 0, 100, 4000]),
       seed=st.integers(0, 2**31))
def test_random(n, classes, dtype, threshold, integral, tied, nan_share, strategy, bound, seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, n, 20, dtype, integral)
    scores = (rng.choice([0.0, 0.25, 0.5, 1.0], n) if tied else rng.random(n)).astype(dtype)
    scores[rng.random(n) < nan_share] = np.nan
    bounds = {} if bound is None else {"cpu_trick_max_numel": bound}
    check(boxes, scores, rng.integers(-2, classes - 2, n, endpoint=True), threshold, strategy,
          **bounds)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_twenty_thousand_boxes_hundred_classes(dtype):
    rng = np.random.default_rng(8)
    boxes = random_boxes(rng, 20_000, 300, dtype)
    scores = rng.choice(np.linspace(0, 1, 50), 20_000).astype(dtype)
    idxs = rng.integers(0, 100, 20_000)
    check(boxes, scores, idxs, 0.5)
    check(boxes, scores, idxs, 0.5, "per_class")


# Classes of 800 boxes or more, and the coordinate trick's one NMS over as
# many, take the spatial search of kernels/nms/kept_grid.h: every kind of box.
def test_twenty_thousand_crowded_boxes_three_classes():
    rng = np.random.default_rng(16)
    boxes, scores = crowded_boxes(rng, 20_000, np.float32), tied_scores(rng, 20_000, np.float32)
    check(boxes, scores, rng.integers(0, 3, 20_000), 0.3)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("classes", [1, 2, 7])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_crowded_boxes(dtype, classes, strategy):
    rng = np.random.default_rng(17 + classes)
    boxes, scores = crowded_boxes(rng, 3000, dtype, extent=200), tied_scores(rng, 3000, dtype)
    check(boxes, scores, rng.integers(-1, classes - 1, 3000, endpoint=True), 0.5, strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_crowded_boxes_with_nan_and_infinity(dtype, strategy):
    rng = np.random.default_rng(18)
    boxes = crowded_boxes(rng, 2000, dtype, extent=100, special=True)
    # Classes of 1000 boxes: each class searches a grid too.
    check(boxes, tied_scores(rng, 2000, dtype, nan=True), rng.integers(0, 2, 2000), 0.4, strategy)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(9)
    boxes = random_boxes(rng, 3000, 100, np.float32)
    scores = rng.choice([0.1, 0.2, 0.3], 3000).astype(np.float32)
    idxs = rng.integers(0, 30, 3000)
    for strategy in STRATEGIES:
        np.testing.assert_array_equal(check(boxes, scores, idxs, 0.5, strategy, threads=1),
                                      check(boxes, scores, idxs, 0.5, strategy, threads=4))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_ops_function(dtype):
    rng = np.random.default_rng(10)
    boxes = random_boxes(rng, 300, 50, dtype)
    scores = rng.choice([0.2, 0.4], 300).astype(dtype)
    labels = rng.integers(0, 10, 300)
    for strategy, bound in itertools.product(STRATEGIES, [4000, 40]):
        keep = ort_roi.ops.batched_nms(boxes, scores, labels.astype(np.int32), 0.45,  # any ints
                                       strategy=strategy, cpu_trick_max_numel=bound)
        assert keep.dtype == np.int64
        np.testing.assert_array_equal(keep, theirs(boxes, scores, labels, 0.45, strategy,
                                                   cpu_trick_max_numel=bound))
    # Whole numbers in floats are classes too, as torchvision takes them.
    np.testing.assert_array_equal(ort_roi.ops.batched_nms(boxes, scores, labels.astype(np.float32), 0.45),
                                  ort_roi.ops.batched_nms(boxes, scores, labels, 0.45))
    with pytest.raises(ValueError, match="idxs must hold whole numbers"):
        ort_roi.ops.batched_nms(boxes, scores, labels + 0.5, 0.45)
    with pytest.raises(TypeError, match="idxs must be integers"):
        ort_roi.ops.batched_nms(boxes, scores, labels.astype(str), 0.45)


GOOD = arrays([SQUARE, [1, 1, 9, 9], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [0, 1, 0], np.float32)
BAD_INPUTS = [
    ("boxes_rank_3", (GOOD[0][None], GOOD[1], GOOD[2]), {},
     "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got [1, 3, 4]"),
    ("boxes_int64", (GOOD[0].astype(np.int64), GOOD[1], GOOD[2]), {},
     "input 'boxes' must be float32, float64 or float16, got int64"),
    ("scores_too_many", (GOOD[0], np.zeros(4, np.float32), GOOD[2]), {},
     "input 'scores' must have shape [N] with N = 3 (one score per box), got [4]"),
    ("scores_float16_boxes_float64", (GOOD[0].astype(np.float64), GOOD[1].astype(np.float16), GOOD[2]), {},
     "input 'scores' must have the type of 'boxes', float64, got float16"),
    ("idxs_int32", (GOOD[0], GOOD[1], GOOD[2].astype(np.int32)), {},
     "input 'idxs' must be int64, got int32"),
    ("idxs_float32", (GOOD[0], GOOD[1], GOOD[2].astype(np.float32)), {},
     "input 'idxs' must be int64, got float32"),
    ("idxs_rank_2", (GOOD[0], GOOD[1], GOOD[2][:, None]), {},
     "input 'idxs' must have shape [N] with N = 3 (one class per box), got [3, 1]"),
    ("idxs_too_few", (GOOD[0], GOOD[1], GOOD[2][:2]), {},
     "input 'idxs' must have shape [N] with N = 3 (one class per box), got [2]"),
    ("threshold_nan", GOOD, {"iou_threshold": NAN},
     "attribute 'iou_threshold' must be a number, got NaN"),
    ("cpu_bound_negative", GOOD, {"cpu_trick_max_numel": -1},
     "attribute 'cpu_trick_max_numel' must be >= 0, got -1"),
    ("cuda_bound_negative", GOOD, {"cuda_trick_max_numel": -4000},
     "attribute 'cuda_trick_max_numel' must be >= 0, got -4000"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, (boxes, scores, idxs), attrs, message = case
    assert_refused("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs}, message,
                   out_type=TensorProto.INT64, **{"iou_threshold": 0.5, **attrs})


def test_unknown_strategy_is_refused_by_name():
    assert_missing_attribute(
        "BatchedNMS", {"boxes": GOOD[0], "scores": GOOD[1], "idxs": GOOD[2]},
        'attribute \'strategy\' must be "torchvision", "coordinate_trick" or "per_class", '
        'got "vanilla"', out_type=TensorProto.INT64, iou_threshold=0.5, strategy="vanilla")


def test_missing_threshold_is_refused_by_name():
    assert_missing_attribute("BatchedNMS", {"boxes": GOOD[0], "scores": GOOD[1], "idxs": GOOD[2]},
                             "required float attribute 'iou_threshold' is missing",
                             out_type=TensorProto.INT64)
