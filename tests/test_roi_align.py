"""RoIAlign: parity with torchvision.ops.roi_align, edge cases, bad input."""

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from support import DTYPES, assert_close, random_rois, reference_inputs, run_node


def ours(x, rois, oh, ow, scale, ratio, aligned, threads=0):
    return run_node("RoIAlign", {"X": x, "rois": rois}, threads=threads, output_height=oh,
                    output_width=ow, spatial_scale=scale, sampling_ratio=ratio,
                    aligned=int(aligned))


def theirs(x, rois, oh, ow, scale, ratio, aligned):
    tx, tr = reference_inputs(x, rois)
    return torchvision.ops.roi_align(tx, tr, (oh, ow), scale, ratio, aligned).numpy()


def check(x, rois, oh=7, ow=7, scale=1.0, ratio=-1, aligned=False):
    assert_close(ours(x, rois, oh, ow, scale, ratio, aligned),
                 theirs(x, rois, oh, ow, scale, ratio, aligned), x.dtype.type)


def feature(rng, n, c, h, w, dtype):
    return rng.standard_normal((n, c, h, w)).astype(dtype)


def rois_of(rows, dtype):
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5).astype(dtype)


# Each: (name, feature shape, rois rows, spatial_scale, output size)
EDGE_CASES = [
    ("no_rois", (1, 3, 10, 12), [], 1.0, (3, 3)),
    ("degenerate_point_box", (1, 3, 10, 12), [[0, 4, 4, 4, 4]], 1.0, (3, 3)),
    ("degenerate_line_box", (1, 3, 10, 12), [[0, 2, 3, 9, 3]], 1.0, (2, 4)),
    ("inverted_box", (1, 3, 10, 12), [[0, 9, 8, 2, 1]], 1.0, (3, 3)),
    ("partly_outside", (1, 3, 10, 12), [[0, -6, -3, 5, 6], [0, 8, 7, 20, 15]], 1.0, (4, 4)),
    ("wholly_outside", (1, 3, 10, 12), [[0, 30, 30, 40, 40], [0, -20, -20, -5, -5]], 1.0, (3, 3)),
    ("box_on_far_edge", (1, 3, 10, 12), [[0, 11, 9, 12, 10]], 1.0, (2, 2)),
    ("one_by_one_map", (2, 4, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("batch_of_three", (3, 5, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("several_times_the_map", (1, 2, 16, 20), [[0, -40, -30, 80, 70]], 1.0, (3, 3)),
    ("scaled_quarter", (1, 3, 13, 17), [[0, 3, 5, 60, 47], [0, 10, 2, 11, 3]], 0.25, (7, 7)),
    ("scaled_sixteenth", (1, 3, 8, 8), [[0, 3, 5, 120, 97]], 1 / 16, (5, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("aligned", [False, True], ids=["unaligned", "aligned"])
@pytest.mark.parametrize("ratio", [-1, 0, 1, 2, 4])
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, ratio, aligned, dtype):
    _, shape, rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + shape[2])
    x = feature(rng, *shape, dtype)
    check(x, rois_of(rows, dtype), oh, ow, scale, ratio, aligned)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_many_rois_on_every_image(dtype):
    rng = np.random.default_rng(1)
    x = feature(rng, 4, 16, 24, 31, dtype)
    rois = random_rois(rng, 200, 4, 30, dtype)
    assert set(rois[:, 0].astype(int)) == {0, 1, 2, 3}
    check(x, rois, 7, 7, 1.0, -1, False)
    check(x, rois, 5, 4, 1.0, 2, True)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 20), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 8), ow=st.integers(1, 8),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), ratio=st.integers(-1, 4),
    aligned=st.booleans(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random(n, c, h, w, k, oh, ow, scale, ratio, aligned, dtype, seed):
    rng = np.random.default_rng(seed)
    x = feature(rng, n, c, h, w, dtype)
    rois = random_rois(rng, k, n, max(h, w) / scale, dtype)
    check(x, rois, oh, ow, scale, ratio, aligned)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(2)
    x = feature(rng, 2, 40, 32, 32, np.float32)
    rois = random_rois(rng, 64, 2, 32, np.float32)
    one = ours(x, rois, 7, 7, 1.0, -1, False, threads=1)
    two = ours(x, rois, 7, 7, 1.0, -1, False, threads=2)
    np.testing.assert_array_equal(one, two)
    assert_close(one, theirs(x, rois, 7, 7, 1.0, -1, False), np.float32)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_non_finite_boxes_give_zeros(dtype):
    # torchvision's behaviour is undefined here (the grid size becomes an
    # int from NaN); ort_roi defines it: the roi's output is zeros.
    rng = np.random.default_rng(3)
    x = feature(rng, 1, 3, 10, 10, dtype) + 5  # no zeros by chance
    rows = [[0, np.nan, 1, 5, 5], [0, 1, 1, np.inf, 5], [0, -np.inf, 1, 5, 5], [0, 1, 1, 6, 6]]
    y = ours(x, rois_of(rows, dtype), 3, 3, 1.0, -1, False)
    assert (y[:3] == 0).all()
    assert (y[3] != 0).all()


def test_absurd_boxes_finish_and_stay_finite():
    # A 1e30-sized box would make torchvision loop for ever (or overflow the
    # grid size). ort_roi caps the adaptive grid: bounded work, finite output.
    x = np.ones((1, 2, 8, 8), np.float32)
    rois = rois_of([[0, -1e30, -1e30, 1e30, 1e30], [0, 0, 0, 3e38, 3e38]], np.float32)
    y = ours(x, rois, 2, 2, 1.0, -1, False)
    assert y.shape == (2, 2, 2, 2) and np.isfinite(y).all()
    assert y[0].max() <= 1.0


# Bad input: each gives INVALID_ARGUMENT with a message naming op and problem.
GOOD_X = np.zeros((2, 3, 8, 8), np.float32)
GOOD_ROIS = rois_of([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], np.float32)
BAD_INPUTS = [
    ("batch_index_too_large", GOOD_X, rois_of([[0, 1, 1, 2, 2], [2, 1, 1, 2, 2]], np.float32), {},
     "input 'rois' row 1 has batch index 2, which is not an integer in [0, 2)"),
    ("batch_index_negative", GOOD_X, rois_of([[-1, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index -1"),
    ("batch_index_not_integral", GOOD_X, rois_of([[0.5, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index 0.5, which is not an integer"),
    ("batch_index_nan", GOOD_X, rois_of([[np.nan, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index nan"),
    ("feature_rank_3", GOOD_X[0], GOOD_ROIS, {}, "input 'X' must have rank 4"),
    ("rois_four_columns", GOOD_X, GOOD_ROIS[:, 1:], {}, "input 'rois' must have shape [K, 5]"),
    ("rois_rank_1", GOOD_X, GOOD_ROIS[0], {}, "input 'rois' must have shape [K, 5]"),
    ("dtype_mismatch", GOOD_X, GOOD_ROIS.astype(np.float64), {},
     "input 'rois' must have the feature map's type float32, got float64"),
    ("integer_feature", GOOD_X.astype(np.int32), GOOD_ROIS, {},
     "input 'X' must be float32, float64 or float16"),
    ("zero_output_height", GOOD_X, GOOD_ROIS, {"output_height": 0},
     "'output_height' and 'output_width' must be positive, got 0 and 2"),
    ("negative_output_width", GOOD_X, GOOD_ROIS, {"output_width": -3},
     "must be positive, got 2 and -3"),
    ("zero_spatial_scale", GOOD_X, GOOD_ROIS, {"spatial_scale": 0.0},
     "'spatial_scale' must be a finite positive number"),
    ("huge_sampling_ratio", GOOD_X, GOOD_ROIS, {"sampling_ratio": 1 << 20},
     "'sampling_ratio' must be at most 65536"),
    ("aligned_not_a_flag", GOOD_X, GOOD_ROIS, {"aligned": 2}, "'aligned' must be 0 or 1, got 2"),
    ("empty_map", np.zeros((1, 3, 0, 8), np.float32), GOOD_ROIS[:1], {},
     "input 'X' must have positive height and width"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, x, rois, attrs, message = case
    kwargs = dict(output_height=2, output_width=2)
    kwargs.update(attrs)
    with pytest.raises(InvalidArgument) as err:
        run_node("RoIAlign", {"X": x, "rois": rois}, **kwargs)
    assert "RoIAlign: " in str(err.value)
    assert message in str(err.value)


def test_missing_required_attribute_is_refused_by_name():
    with pytest.raises(Exception, match="RoIAlign: required int attribute 'output_width' is missing"):
        run_node("RoIAlign", {"X": GOOD_X, "rois": GOOD_ROIS}, output_height=2)
