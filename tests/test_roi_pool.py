"""RoIPool: exact parity with torchvision.ops.roi_pool, edge cases, bad input."""

import numpy as np
import pytest
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from support import DTYPES, random_rois, reference_inputs, run_node


def ours(x, rois, oh, ow, scale, threads=0):
    return run_node("RoIPool", {"X": x, "rois": rois}, threads=threads, output_height=oh,
                    output_width=ow, spatial_scale=scale)


def theirs(x, rois, oh, ow, scale):
    tx, tr = reference_inputs(x, rois)
    return torchvision.ops.roi_pool(tx, tr, (oh, ow), scale).numpy()


def check(x, rois, oh=7, ow=7, scale=1.0):
    # Max pooling picks one input value: the result must be exact in every
    # type (float16 results are float16 inputs, compared in float32).
    y = ours(x, rois, oh, ow, scale)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y.astype(np.float32 if x.dtype == np.float16 else x.dtype),
                                  theirs(x, rois, oh, ow, scale))


def feature(rng, n, c, h, w, dtype):
    return rng.standard_normal((n, c, h, w)).astype(dtype)


def rois_of(rows, dtype):
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5).astype(dtype)


EDGE_CASES = [
    ("no_rois", (1, 3, 10, 12), [], 1.0, (3, 3)),
    ("degenerate_point_box", (1, 3, 10, 12), [[0, 4, 4, 4, 4]], 1.0, (3, 3)),
    ("degenerate_line_box", (1, 3, 10, 12), [[0, 2, 3, 9, 3]], 1.0, (2, 4)),
    ("inverted_box", (1, 3, 10, 12), [[0, 9, 8, 2, 1]], 1.0, (3, 3)),
    ("partly_outside", (1, 3, 10, 12), [[0, -6, -3, 5, 6], [0, 8, 7, 20, 15]], 1.0, (4, 4)),
    ("wholly_outside", (1, 3, 10, 12), [[0, 30, 30, 40, 40], [0, -20, -20, -5, -5]], 1.0, (3, 3)),
    ("half_pixel_rounding", (1, 3, 10, 12), [[0, 0.5, 1.5, 2.5, 3.5], [0, -0.5, -1.5, 4.5, 5.5]], 1.0, (2, 2)),
    ("more_bins_than_pixels", (1, 3, 10, 12), [[0, 1, 1, 3, 2]], 1.0, (7, 7)),
    ("one_by_one_map", (2, 4, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("batch_of_three", (3, 5, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("several_times_the_map", (1, 2, 16, 20), [[0, -40, -30, 80, 70]], 1.0, (3, 3)),
    ("scaled_quarter", (1, 3, 13, 17), [[0, 3, 5, 60, 47], [0, 10, 2, 11, 3]], 0.25, (7, 7)),
    ("scaled_sixteenth", (1, 3, 8, 8), [[0, 3, 5, 120, 97]], 1 / 16, (5, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, dtype):
    _, shape, rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + shape[2])
    check(feature(rng, *shape, dtype), rois_of(rows, dtype), oh, ow, scale)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_many_rois_on_every_image(dtype):
    rng = np.random.default_rng(1)
    x = feature(rng, 4, 16, 24, 31, dtype)
    rois = random_rois(rng, 200, 4, 30, dtype)
    assert set(rois[:, 0].astype(int)) == {0, 1, 2, 3}
    check(x, rois, 7, 7, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 20), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 8), ow=st.integers(1, 8),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random(n, c, h, w, k, oh, ow, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = feature(rng, n, c, h, w, dtype)
    check(x, random_rois(rng, k, n, max(h, w) / scale, dtype), oh, ow, scale)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(2)
    x = feature(rng, 2, 40, 32, 32, np.float32)
    rois = random_rois(rng, 64, 2, 32, np.float32)
    np.testing.assert_array_equal(ours(x, rois, 7, 7, 1.0, threads=1),
                                  ours(x, rois, 7, 7, 1.0, threads=2))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_non_finite_boxes_give_zeros(dtype):
    # torchvision rounds NaN to an int (undefined); ort_roi gives zeros.
    rng = np.random.default_rng(3)
    x = feature(rng, 1, 3, 10, 10, dtype) + 5
    rows = [[0, np.nan, 1, 5, 5], [0, 1, 1, np.inf, 5], [0, -np.inf, 1, 5, 5], [0, 1, 1, 6, 6]]
    y = ours(x, rois_of(rows, dtype), 3, 3, 1.0)
    assert (y[:3] == 0).all()
    assert (y[3] != 0).all()


def test_absurd_boxes_finish_and_stay_finite():
    x = np.ones((1, 2, 8, 8), np.float32)
    rois = rois_of([[0, -1e30, -1e30, 1e30, 1e30], [0, 0, 0, 3e38, 3e38]], np.float32)
    y = ours(x, rois, 2, 2, 1.0)
    assert y.shape == (2, 2, 2, 2) and np.isfinite(y).all()


GOOD_X = np.zeros((2, 3, 8, 8), np.float32)
GOOD_ROIS = rois_of([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], np.float32)
BAD_INPUTS = [
    ("batch_index_too_large", GOOD_X, rois_of([[0, 1, 1, 2, 2], [2, 1, 1, 2, 2]], np.float32), {},
     "input 'rois' row 1 has batch index 2, which is not an integer in [0, 2)"),
    ("batch_index_not_integral", GOOD_X, rois_of([[1.25, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index 1.25, which is not an integer"),
    ("batch_index_inf", GOOD_X, rois_of([[np.inf, 1, 1, 2, 2]], np.float32), {},
     "row 0 has batch index inf"),
    ("feature_rank_5", GOOD_X[None], GOOD_ROIS, {}, "input 'X' must have rank 4"),
    ("rois_six_columns", GOOD_X, np.zeros((2, 6), np.float32), {},
     "input 'rois' must have shape [K, 5]"),
    ("dtype_mismatch", GOOD_X.astype(np.float16), GOOD_ROIS, {},
     "input 'rois' must have the feature map's type float16, got float32"),
    ("zero_output_width", GOOD_X, GOOD_ROIS, {"output_width": 0},
     "'output_height' and 'output_width' must be positive, got 2 and 0"),
    ("negative_spatial_scale", GOOD_X, GOOD_ROIS, {"spatial_scale": -1.0},
     "'spatial_scale' must be a finite positive number"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, x, rois, attrs, message = case
    kwargs = dict(output_height=2, output_width=2)
    kwargs.update(attrs)
    with pytest.raises(InvalidArgument) as err:
        run_node("RoIPool", {"X": x, "rois": rois}, **kwargs)
    assert "RoIPool: " in str(err.value)
    assert message in str(err.value)
