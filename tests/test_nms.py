"""NMS: exact parity with torchvision.ops.nms (indices and order), edge cases,
NaN, 20,000 boxes, bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto

import ort_roi.ops
from nms_cases import contained_at_threshold, crowded_boxes, tied_scores
from support import (DTYPES, assert_missing_attribute, assert_refused, random_boxes,
                     reference_inputs, run_node)

NAN, INF = float("nan"), float("inf")


def ours(boxes, scores, threshold):
    return run_node("NMS", {"boxes": boxes, "scores": scores}, out_type=TensorProto.INT64,
                    iou_threshold=threshold)


def theirs(boxes, scores, threshold):
    # float16 against torchvision in float32 on the same rounded values
    # (torchvision's CPU nms has no float16 kernel).
    tb, ts = reference_inputs(boxes, scores)
    return torchvision.ops.nms(tb, ts, threshold).numpy()


def check(boxes, scores, threshold):
    keep = ours(boxes, scores, threshold)
    assert keep.dtype == np.int64 and keep.ndim == 1
    np.testing.assert_array_equal(keep, theirs(boxes, scores, threshold))
    return keep


def arrays(rows, scores, dtype):
    with np.errstate(over="ignore"):  # huge coordinates are inf in float16
        return (np.asarray(rows, np.float64).reshape(-1, 4).astype(dtype),
                np.asarray(scores, np.float64).astype(dtype))


SQUARE = [0, 0, 10, 10]
EDGE_CASES = [
    ("no_boxes", [], [], 0.5),
    ("one_box", [SQUARE], [0.3], 0.5),
    ("identical_boxes_equal_scores", [SQUARE, SQUARE], [0.5, 0.5], 0.5),
    ("everything_suppressed", [SQUARE] * 6, [0.1, 0.9, 0.3, 0.9, 0.2, 0.0], 0.5),
    ("equal_scores_disjoint", [[i * 20, 0, i * 20 + 10, 10] for i in range(20)], [1.0] * 20, 0.5),
    ("equal_scores_chain", [[i * 4, 0, i * 4 + 10, 10] for i in range(20)], [1.0] * 20, 0.3),
    ("threshold_zero_touching_kept", [SQUARE, [10, 0, 20, 10], [9.9, 0, 20, 10]], [1, 0.9, 0.8], 0.0),
    ("threshold_one_keeps_identical", [SQUARE, SQUARE, [1, 1, 9, 9]], [1, 0.9, 0.8], 1.0),
    ("threshold_negative_suppresses_disjoint", [SQUARE, [50, 50, 60, 60]], [1, 0.9], -0.5),
    ("threshold_above_one", [SQUARE, SQUARE], [1, 0.9], 1.5),
    ("threshold_infinite", [SQUARE, SQUARE], [1, 0.9], INF),
    # IoU 3/10 exactly, which float32 rounds to 0.300000012 > 0.3: torchvision
    # compares with the double 0.3 and suppresses in float32, not in float64.
    ("iou_exactly_threshold_0_3", [[0, 0, 10, 1], [7, 0, 10, 1]], [1, 0.5], 0.3),
    ("iou_exactly_threshold_0_7", [[0, 0, 10, 1], [3, 0, 10, 1]], [1, 0.5], 0.7),
    ("iou_exactly_threshold_0_5", [[0, 0, 3, 1], [1, 0, 3, 1]], [1, 0.5], 0.5),
    ("zero_area_boxes", [[5, 5, 5, 5], [5, 5, 5, 5], [0, 5, 10, 5], SQUARE], [1, 0.9, 0.8, 0.7], 0.1),
    ("inverted_boxes", [[10, 10, 0, 0], [9, 9, 1, 1], SQUARE, [10, 0, 0, 10]], [1, 0.9, 0.8, 0.7], 0.5),
    ("negative_coordinates", [[-10, -10, 0, 0], [-9, -9, 1, 1], [-30, -5, -20, 5]], [0.2, 0.9, 0.5], 0.5),
    ("infinite_boxes", [[-INF, 0, INF, 1], [0, 0, 1, 1], [-INF, -INF, INF, INF], [0, 0, INF, 2]],
     [1, 0.9, 0.8, 0.7], 0.5),
    ("huge_coordinates", [[-3e38, -3e38, 3e38, 3e38], [0, 0, 3e38, 3e38], [1e30, 1e30, 2e30, 2e30]],
     [0.5, 0.9, 0.1], 0.2),
    ("inf_scores", [SQUARE, [1, 1, 11, 11], [50, 0, 60, 10]], [-INF, INF, 0.0], 0.5),
    ("signed_zero_scores_tie", [SQUARE, SQUARE, [50, 0, 60, 10], [50, 0, 60, 10]], [-0.0, 0.0, 0.0, -0.0], 0.5),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, dtype):
    _, rows, scores, threshold = case
    check(*arrays(rows, scores, dtype), threshold)


def test_threshold_is_compared_as_the_decimal_written():
    # The attribute is float32; torchvision's threshold is a double. Both
    # types must see IoU 0.3 against 0.3 as torchvision does.
    boxes, scores = arrays([[0, 0, 10, 1], [7, 0, 10, 1]], [1, 0.5], np.float32)
    assert ours(boxes, scores, 0.3).tolist() == [0]
    assert ours(boxes.astype(np.float64), scores.astype(np.float64), 0.3).tolist() == [0, 1]


NAN_CASES = [
    ("nan_scores_sort_first", [[i * 20, 0, i * 20 + 10, 10] for i in range(8)],
     [0.5, NAN, 0.9, NAN, INF, 0.1, NAN, -INF], 0.5),
    ("nan_score_suppresses_its_overlaps", [SQUARE, [1, 0, 11, 10], [2, 0, 12, 10], [50, 0, 60, 10]],
     [0.9, NAN, 0.5, NAN], 0.5),
    ("all_scores_nan", [SQUARE, SQUARE, [1, 1, 9, 9], [50, 0, 60, 10]], [NAN] * 4, 0.5),
    ("nan_x1", [SQUARE, [NAN, 0, 10, 10], SQUARE], [0.9, 0.8, 0.7], 0.5),
    ("nan_y1", [SQUARE, [0, NAN, 10, 10], SQUARE], [0.7, 0.8, 0.9], 0.5),
    ("nan_x2", [[0, 0, NAN, 10], SQUARE, SQUARE], [0.9, 0.8, 0.7], 0.5),
    ("nan_y2", [SQUARE, SQUARE, [0, 0, 10, NAN]], [0.9, 0.8, 0.7], 0.5),
    ("nan_box_and_score", [[NAN] * 4, SQUARE, [NAN, 0, 10, 10]], [NAN, 0.8, NAN], 0.0),
    ("nan_boxes_threshold_negative", [[NAN] * 4, SQUARE, [NAN, 0, 10, 10], SQUARE], [1, 0.8, 0.7, 0.5], -1.0),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", NAN_CASES, ids=[c[0] for c in NAN_CASES])
def test_nan_as_torchvision(case, dtype):
    _, rows, scores, threshold = case
    check(*arrays(rows, scores, dtype), threshold)


def test_nan_scores_come_first_in_index_order():
    boxes, scores = arrays([[i * 20, 0, i * 20 + 10, 10] for i in range(6)],
                           [0.5, NAN, 0.9, NAN, INF, NAN], np.float32)
    assert check(boxes, scores, 0.5).tolist() == [1, 3, 5, 4, 2, 0]


THRESHOLDS = st.one_of(st.sampled_from([0.0, 0.1, 0.3, 0.45, 0.5, 0.7, 1.0]),
                       # what a user types: the shortest decimal of a float32
                       st.floats(0, 1).map(lambda t: float(str(np.float32(t)))))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), dtype=st.sampled_from(DTYPES), threshold=THRESHOLDS,
       integral=st.booleans(), tied=st.booleans(), nan_share=st.sampled_from([0.0, 0.0, 0.2]),
       seed=st.integers(0, 2**31))
def test_random(n, dtype, threshold, integral, tied, nan_share, seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, n, 20, dtype, integral)
    # Scores from a small set give many ties.
    scores = (rng.choice([0.0, 0.25, 0.5, 1.0], n) if tied else rng.random(n)).astype(dtype)
    scores[rng.random(n) < nan_share] = np.nan
    check(boxes, scores, threshold)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_twenty_thousand_boxes(dtype):
    rng = np.random.default_rng(4)
    boxes = random_boxes(rng, 20_000, 600, dtype)
    scores = rng.choice(np.linspace(0, 1, 50), 20_000).astype(dtype)
    keep = check(boxes, scores, 0.5)
    assert 1000 < len(keep) < 20_000


def test_twenty_thousand_disjoint_boxes_all_kept():
    # The worst case for the greedy loop: nothing is ever suppressed.
    x = np.arange(20_000, dtype=np.float32) * 10
    boxes = np.stack([x, x * 0, x + 5, x * 0 + 5], axis=1)
    scores = np.random.default_rng(5).random(20_000).astype(np.float32)
    assert len(check(boxes, scores, 0.5)) == 20_000


# From 800 boxes on and with a threshold >= 0 the kernel compares a
# candidate only with the kept boxes near it: these cases run that search on
# every kind of box, and on the edge cases above among 900 others.
@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_twenty_thousand_crowded_boxes(threshold):
    rng = np.random.default_rng(11)
    check(crowded_boxes(rng, 20_000, np.float32), tied_scores(rng, 20_000, np.float32), threshold)


@pytest.mark.parametrize("threshold", [0.0, 1e-6, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_crowded_boxes(dtype, threshold):
    rng = np.random.default_rng(12)
    check(crowded_boxes(rng, 3000, dtype, extent=200), tied_scores(rng, 3000, dtype), threshold)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("seed", range(4))
def test_crowded_boxes_with_nan_and_infinity(seed, dtype):
    rng = np.random.default_rng(13 + seed)
    check(crowded_boxes(rng, 2000, dtype, extent=100, special=True),
          tied_scores(rng, 2000, dtype, nan=True), [0.0, 0.2, 0.5, 0.8][seed])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES + NAN_CASES, ids=[c[0] for c in EDGE_CASES + NAN_CASES])
def test_edge_cases_among_many(case, dtype):
    _, rows, scores, threshold = case
    rng = np.random.default_rng(14)
    with np.errstate(over="ignore"):
        others = random_boxes(rng, 900, 30, np.float64)
        boxes, scores = arrays(np.concatenate([np.reshape(rows, (-1, 4)), others]),
                               np.concatenate([scores, rng.choice([0.0, 0.5, 0.9, 1.0], 900)]), dtype)
    check(boxes, scores, threshold)


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.95, 1.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_least_overlap_that_suppresses(dtype, threshold):
    # For 0 < t <= 1 the search only looks where a kept box overlaps the
    # candidate by about t of its width: these pairs sit on that bound.
    # float16: small boxes, so that the coordinates stay below 65504.
    pairs, largest = (500, 20.0) if dtype == np.float16 else (1500, 1000.0)
    boxes, scores = contained_at_threshold(np.random.default_rng(20), pairs, threshold, dtype, largest)
    keep = check(boxes, scores, threshold)
    if dtype != np.float16 and threshold < 1:
        assert 0.2 * pairs < 2 * pairs - len(keep) < 0.8 * pairs  # about half suppressed


def test_one_box_covering_all_others():
    # A box over everything, scored last, never suppressed by the small
    # ones (IoU tiny) and scored first, suppressing none of them.
    rng = np.random.default_rng(15)
    boxes = np.concatenate([random_boxes(rng, 1000, 100, np.float32),
                            np.array([[-1e6, -1e6, 1e6, 1e6]], np.float32)])
    for big in [1.5, -0.5]:
        scores = np.concatenate([rng.random(1000), [big]]).astype(np.float32)
        check(boxes, scores, 0.5)


# The float32 inner loops have AVX2 and AVX-512 variants (kernels/nms/
# iou_rows.h); the level is read once per process, so each runs in its own,
# which runs ours alone (no torch to import: a second to start, not five)
# on inputs from this process, and torchvision's results are computed here.
LEVEL_RUN = """
import sys
import numpy as np
import ort_roi.ops
cases, out = np.load(sys.argv[1]), {}
for i in range(int(cases["count"])):
    b, s, c, t = (cases[f"{i} {k}"] for k in ("boxes", "scores", "classes", "threshold"))
    out[f"{i} nms"] = ort_roi.ops.nms(b, s, float(t))
    out[f"{i} batched_nms"] = ort_roi.ops.batched_nms(b, s, c, float(t))
np.savez(sys.argv[2], **out)
"""


@pytest.fixture(scope="module")
def level_cases(tmp_path_factory):
    """(inputs file, [(name, torchvision's nms keep, its batched_nms keep)])."""
    rng = np.random.default_rng(19)
    inputs, expected = {}, []
    for n, extent, special in [(1500, 100, False), (1000, 60, True), (250, 40, False),
                               (37, 20, False)]:
        for t in (0.0, 0.5) if n > 300 else (0.0, 0.5, -0.1):
            b = crowded_boxes(rng, n, np.float32, extent, special)
            s = tied_scores(rng, n, np.float32, special)
            c = rng.integers(0, 4, n)
            i = len(expected)
            inputs |= {f"{i} boxes": b, f"{i} scores": s, f"{i} classes": c,
                       f"{i} threshold": np.float64(t)}
            tb, ts, tc = torch.from_numpy(b), torch.from_numpy(s), torch.from_numpy(c)
            expected.append((f"n={n} special={special} threshold={t}",
                             torchvision.ops.nms(tb, ts, t).numpy(),
                             torchvision.ops.batched_nms(tb, ts, tc, t).numpy()))
    path = tmp_path_factory.mktemp("nms_levels") / "inputs.npz"
    np.savez(path, count=len(expected), **inputs)
    return path, expected


@pytest.mark.parametrize("level", ["scalar", "avx2", "avx512"])
def test_every_vector_level(level, level_cases, tmp_path):
    inputs, expected = level_cases
    out = tmp_path / "keep.npz"
    env = dict(os.environ, ORT_ROI_ISA=level)
    run = subprocess.run([sys.executable, "-c", LEVEL_RUN, str(inputs), str(out)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    kept = np.load(out)
    assert len(kept.files) == 2 * len(expected)
    for i, (name, nms, batched) in enumerate(expected):
        np.testing.assert_array_equal(kept[f"{i} nms"], nms, err_msg=f"nms {name}")
        np.testing.assert_array_equal(kept[f"{i} batched_nms"], batched,
                                      err_msg=f"batched_nms {name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_ops_function(dtype):
    rng = np.random.default_rng(6)
    boxes = random_boxes(rng, 300, 50, dtype)
    scores = rng.random(300).astype(dtype)
    keep = ort_roi.ops.nms(boxes, scores, 0.45)
    assert keep.dtype == np.int64
    np.testing.assert_array_equal(keep, theirs(boxes, scores, 0.45))
    assert ort_roi.ops.nms(np.zeros((0, 4), dtype), np.zeros(0, dtype), 0.5).shape == (0,)


GOOD_BOXES, GOOD_SCORES = arrays([SQUARE, [1, 1, 9, 9], [20, 20, 30, 30]], [0.9, 0.8, 0.7], np.float32)
BAD_INPUTS = [
    ("boxes_rank_1", GOOD_BOXES.ravel(), GOOD_SCORES, 0.5,
     "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got [12]"),
    ("boxes_five_columns", np.zeros((3, 5), np.float32), GOOD_SCORES, 0.5,
     "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got [3, 5]"),
    ("boxes_int64", GOOD_BOXES.astype(np.int64), GOOD_SCORES, 0.5,
     "input 'boxes' must be float32, float64 or float16, got int64"),
    ("scores_rank_2", GOOD_BOXES, GOOD_SCORES[:, None], 0.5,
     "input 'scores' must have shape [N] with N = 3 (one score per box), got [3, 1]"),
    ("scores_too_few", GOOD_BOXES, GOOD_SCORES[:2], 0.5,
     "input 'scores' must have shape [N] with N = 3 (one score per box), got [2]"),
    ("scores_float64_boxes_float32", GOOD_BOXES, GOOD_SCORES.astype(np.float64), 0.5,
     "input 'scores' must have the type of 'boxes', float32, got float64"),
    ("scores_float32_boxes_float16", GOOD_BOXES.astype(np.float16), GOOD_SCORES, 0.5,
     "input 'scores' must have the type of 'boxes', float16, got float32"),
    ("threshold_nan", GOOD_BOXES, GOOD_SCORES, NAN,
     "attribute 'iou_threshold' must be a number, got NaN"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, boxes, scores, threshold, message = case
    assert_refused("NMS", {"boxes": boxes, "scores": scores}, message, out_type=TensorProto.INT64,
                   iou_threshold=threshold)


def test_missing_threshold_is_refused_by_name():
    assert_missing_attribute("NMS", {"boxes": GOOD_BOXES, "scores": GOOD_SCORES},
                             "required float attribute 'iou_threshold' is missing",
                             out_type=TensorProto.INT64)


def test_output_is_int64_of_unknown_length():
    import onnxruntime as ort

    from support import one_node_model
    so = ort.SessionOptions()
    sess = ort_roi.InferenceSession(one_node_model("NMS", {"boxes": GOOD_BOXES, "scores": GOOD_SCORES},
                                                   out_type=TensorProto.INT64, iou_threshold=0.5), so)
    (out,) = sess.get_outputs()
    assert out.type == "tensor(int64)" and len(out.shape) == 1
    assert torch.equal(torch.from_numpy(sess.run(None, {"boxes": GOOD_BOXES, "scores": GOOD_SCORES})[0]),
                       torch.tensor([0, 2]))
