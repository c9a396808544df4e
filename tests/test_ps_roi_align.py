"""PSRoIAlign: parity with torchvision.ops.ps_roi_align, edge cases, bad input."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

import ort_roi
from ort_roi import ops
from support import DTYPES, assert_close, random_rois, reference_inputs, run_node


def ours(x, rois, oh, ow, scale, ratio, threads=0):
    return run_node("PSRoIAlign", {"X": x, "rois": rois}, threads=threads, output_height=oh,
                    output_width=ow, spatial_scale=scale, sampling_ratio=ratio)


def theirs(x, rois, oh, ow, scale, ratio):
    tx, tr = reference_inputs(x, rois)
    return torchvision.ops.ps_roi_align(tx, tr, (oh, ow), scale, ratio).numpy()


def check(x, rois, oh=3, ow=3, scale=1.0, ratio=-1):
    # assert_close counts NaN equal to NaN: torchvision's 0 / 0 bins must be
    # NaN here too, and nowhere else.
    assert_close(ours(x, rois, oh, ow, scale, ratio), theirs(x, rois, oh, ow, scale, ratio),
                 x.dtype.type)


def feature(rng, n, c_out, oh, ow, h, w, dtype):
    return rng.standard_normal((n, c_out * oh * ow, h, w)).astype(dtype)


def rois_of(rows, dtype):
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5).astype(dtype)


# Each: (name, (N, output channels, H, W), rois rows, spatial_scale, output size)
EDGE_CASES = [
    ("no_rois", (1, 2, 10, 12), [], 1.0, (3, 3)),
    ("degenerate_point_box", (1, 2, 10, 12), [[0, 4, 4, 4, 4]], 1.0, (3, 3)),
    ("degenerate_line_box", (1, 2, 10, 12), [[0, 2, 3, 9, 3]], 1.0, (2, 4)),
    ("inverted_box", (1, 2, 10, 12), [[0, 9, 8, 2, 1]], 1.0, (3, 3)),
    ("slightly_inverted_box", (1, 2, 10, 12), [[0, 3, 3, 2, 2]], 1.0, (2, 2)),
    ("inverted_on_one_side", (1, 2, 10, 12), [[0, 1, 6, 7, 1]], 1.0, (2, 3)),
    ("tiny_box", (1, 2, 10, 12), [[0, 3, 3, 3.2, 3.1]], 1.0, (2, 2)),
    ("partly_outside", (1, 2, 10, 12), [[0, -6, -3, 5, 6], [0, 8, 7, 20, 15]], 1.0, (4, 4)),
    ("wholly_outside", (1, 2, 10, 12), [[0, 30, 30, 40, 40], [0, -20, -20, -5, -5]], 1.0, (3, 3)),
    ("box_on_far_edge", (1, 2, 10, 12), [[0, 11, 9, 12, 10]], 1.0, (2, 2)),
    ("one_by_one_map", (2, 3, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("one_by_one_output", (1, 5, 10, 12), [[0, 1, 2, 9, 8]], 1.0, (1, 1)),
    ("batch_of_three", (3, 2, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("several_times_the_map", (1, 2, 16, 20), [[0, -40, -30, 80, 70]], 1.0, (3, 3)),
    ("scaled_quarter", (1, 2, 13, 17), [[0, 3, 5, 60, 47], [0, 10, 2, 11, 3]], 0.25, (7, 7)),
    ("scaled_sixteenth", (1, 2, 8, 8), [[0, 3, 5, 120, 97]], 1 / 16, (5, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ratio", [-1, 0, 1, 2, 4])
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, ratio, dtype):
    _, (n, c_out, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    x = feature(rng, n, c_out, oh, ow, h, w, dtype)
    check(x, rois_of(rows, dtype), oh, ow, scale, ratio)


def test_zero_grid_is_nan_and_one_inverted_side_is_negative_zero_as_in_torchvision():
    # torchvision divides by grid_h * grid_w unclamped. An adaptive grid of 0
    # (a box of zero size) gives 0 / 0; a box inverted on one side only has
    # a negative grid there, hence 0 / negative = -0. ort_roi keeps both.
    x = feature(np.random.default_rng(4), 1, 2, 2, 2, 10, 12, np.float32) + 5
    rois = rois_of([[0, 4, 4, 4, 4], [0, 1, 6, 7, 1], [0, 9, 8, 2, 1], [0, 1, 1, 7, 6]],
                   np.float32)
    y, ref = ours(x, rois, 2, 2, 1.0, -1), theirs(x, rois, 2, 2, 1.0, -1)
    assert np.isnan(y[0]).all() and np.isnan(ref[0]).all()
    assert (y[1] == 0).all() and np.signbit(y[1]).all() and np.signbit(ref[1]).all()
    assert (y[2] == 0).all() and not np.signbit(y[2]).any()  # both sides negative: +0
    assert np.isfinite(y[3]).all() and (y[3] != 0).all()
    # A fixed sampling ratio never divides by zero: the point box is sampled.
    assert np.isfinite(ours(x, rois[:1], 2, 2, 1.0, 2)).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_many_rois_on_every_image(dtype):
    rng = np.random.default_rng(1)
    x = feature(rng, 4, 5, 3, 3, 24, 31, dtype)
    rois = random_rois(rng, 150, 4, 30, dtype)
    assert set(rois[:, 0].astype(int)) == {0, 1, 2, 3}
    check(x, rois, 3, 3, 1.0, -1)
    check(x, rois[:40], 3, 3, 0.5, 2)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c_out=st.integers(1, 4), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 5), ow=st.integers(1, 5),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), ratio=st.integers(-1, 4),
    dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random(n, c_out, h, w, k, oh, ow, scale, ratio, dtype, seed):
    rng = np.random.default_rng(seed)
    x = feature(rng, n, c_out, oh, ow, h, w, dtype)
    rois = random_rois(rng, k, n, max(h, w) / scale, dtype)
    check(x, rois, oh, ow, scale, ratio)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 10), oh=st.integers(1, 4),
    ow=st.integers(1, 4), ratio=st.integers(-1, 3), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random_integer_corners_in_any_order(h, w, k, oh, ow, ratio, dtype, seed):
    # Whole-pixel corners drawn in any order: zero-size, inverted and
    # one-side-inverted boxes are frequent, and with them torchvision's NaN and -0.
    rng = np.random.default_rng(seed)
    x = feature(rng, 2, 2, oh, ow, h, w, dtype)
    corners = rng.integers(-3, max(h, w) + 3, (k, 4))
    rois = np.concatenate([rng.integers(0, 2, (k, 1)), corners], axis=1).astype(dtype)
    check(x, rois, oh, ow, 1.0, ratio)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(2)
    x = feature(rng, 2, 40, 3, 3, 32, 32, np.float32)
    rois = random_rois(rng, 64, 2, 32, np.float32)
    one = ours(x, rois, 3, 3, 1.0, -1, threads=1)
    two = ours(x, rois, 3, 3, 1.0, -1, threads=2)
    np.testing.assert_array_equal(one, two)
    assert_close(one, theirs(x, rois, 3, 3, 1.0, -1), np.float32)


def test_no_input_channels_gives_no_output_channels():
    x = np.zeros((1, 0, 5, 5), np.float32)
    rois = rois_of([[0, 1, 1, 3, 3]], np.float32)
    assert ours(x, rois, 2, 2, 1.0, -1).shape == theirs(x, rois, 2, 2, 1.0, -1).shape == (1, 0, 2, 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_non_finite_boxes_give_zeros(dtype):
    # torchvision's behaviour is undefined here (the grid size becomes an
    # int from NaN; it can crash); ort_roi defines it: the roi's output is zeros.
    rng = np.random.default_rng(3)
    x = feature(rng, 1, 2, 3, 3, 10, 10, dtype) + 5  # no zeros by chance
    rows = [[0, np.nan, 1, 5, 5], [0, 1, 1, np.inf, 5], [0, -np.inf, 1, 5, 5], [0, 1, 1, 6, 6]]
    for ratio in (-1, 2):
        y = ours(x, rois_of(rows, dtype), 3, 3, 1.0, ratio)
        assert (y[:3] == 0).all()
        assert np.isfinite(y[3]).all() and (y[3] != 0).all()


def test_absurd_boxes_finish_and_stay_finite():
    # A 1e30-sized box would make torchvision loop for ever (or overflow the
    # grid size). ort_roi caps the adaptive grid: bounded work, finite output.
    x = np.ones((1, 8, 8, 8), np.float32)
    rois = rois_of([[0, -1e30, -1e30, 1e30, 1e30], [0, 0, 0, 3e38, 3e38],
                    [0, 1e30, 1e30, -1e30, -1e30]], np.float32)
    y = ours(x, rois, 2, 2, 1.0, -1)
    assert y.shape == (3, 2, 2, 2) and np.isfinite(y).all()
    assert y.max() <= 1.0


def test_ort_infers_the_output_shape():
    nodes = [helper.make_node("PSRoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                              output_height=3, output_width=2),
             helper.make_node("Relu", ["Y"], ["Z"])]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT16, ["N", 30, "H", "W"]),
                           helper.make_tensor_value_info("rois", TensorProto.FLOAT16, ["K", 5])],
                          [helper.make_tensor_value_info("Z", TensorProto.FLOAT16, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    assert z.shape == ["K", 5, 3, 2]
    assert z.type == "tensor(float16)"


RUN_IN_OLDEST = textwrap.dedent("""
    import sys
    import numpy as np, onnxruntime as ort
    from onnx import TensorProto, helper
    node = helper.make_node("PSRoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                            output_height=2, output_width=2, sampling_ratio=2)
    g = helper.make_graph([node], "g",
        [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", 8, "H", "W"]),
         helper.make_tensor_value_info("rois", TensorProto.DOUBLE, ["K", 5])],
        [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    so = ort.SessionOptions()
    so.register_custom_ops_library(sys.argv[1])
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = s.run(None, {"X": np.arange(128, dtype=np.float64).reshape(1, 8, 4, 4),
                     "rois": np.array([[0, 0.5, 0, 3, 2.5]], np.float64)})[0]
    print(ort.__version__, y.shape, y.ravel().tolist())
""")


def test_runs_in_the_oldest_supported_onnxruntime():
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    out = subprocess.run([sys.executable, "-c", RUN_IN_OLDEST, ort_roi.get_library_path()],
                         env=dict(os.environ, PYTHONPATH=oldest), check=True,
                         capture_output=True, text=True).stdout.split(" ", 1)
    assert out[0] == "1.21.0"
    x = torch.arange(128, dtype=torch.float64).reshape(1, 8, 4, 4)
    ref = torchvision.ops.ps_roi_align(x, torch.tensor([[0, 0.5, 0, 3, 2.5]], dtype=torch.float64),
                                       2, 1.0, 2)
    assert out[1].strip() == f"(1, 2, 2, 2) {ref.numpy().ravel().tolist()}"


def test_numpy_api_accepts_every_box_format():
    rng = np.random.default_rng(5)
    x = feature(rng, 2, 3, 2, 2, 16, 20, np.float32)
    per_image = [np.array([[1, 2, 9, 12], [0, 0, 15, 15]], np.float32),
                 np.array([[3, 3, 8, 6]], np.float32)]
    ref = torchvision.ops.ps_roi_align(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                       2, 0.5, 2).numpy()
    assert_close(ops.ps_roi_align(x, per_image, 2, 0.5, 2), ref, np.float32)
    assert_close(ops.ps_roi_align(x, ops.to_rois(per_image, np.float32), (2, 2), 0.5, 2), ref,
                 np.float32)
    assert_close(ops.ps_roi_align(x, np.concatenate(per_image), 2, 0.5, 2, boxes_num=[2, 1]), ref,
                 np.float32)
    assert ops.ps_roi_align(x.astype(np.float64), per_image, 2).dtype == np.float64


# Bad input: each gives INVALID_ARGUMENT with a message naming op and problem.
GOOD_X = np.zeros((2, 8, 8, 8), np.float32)
GOOD_ROIS = rois_of([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], np.float32)
BAD_INPUTS = [
    ("channels_not_divisible", GOOD_X[:, :6], GOOD_ROIS, {},
     "input 'X' has 6 channels, which is not a multiple of output_height * output_width (2 * 2 = 4)"),
    ("fewer_channels_than_bins", GOOD_X, GOOD_ROIS, {"output_height": 3, "output_width": 3},
     "input 'X' has 8 channels, which is not a multiple of output_height * output_width (3 * 3 = 9)"),
    ("bins_overflow", GOOD_X, GOOD_ROIS, {"output_height": 1 << 40, "output_width": 1 << 40},
     f"input 'X' has 8 channels, which is not a multiple of output_height * output_width "
     f"({1 << 40} * {1 << 40})"),
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
    ("empty_map", np.zeros((1, 8, 0, 8), np.float32), GOOD_ROIS[:1], {},
     "input 'X' must have positive height and width"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, x, rois, attrs, message = case
    kwargs = dict(output_height=2, output_width=2)
    kwargs.update(attrs)
    with pytest.raises(InvalidArgument) as err:
        run_node("PSRoIAlign", {"X": x, "rois": rois}, **kwargs)
    assert "PSRoIAlign: " in str(err.value)
    assert message in str(err.value)


def test_missing_required_attribute_is_refused_by_name():
    with pytest.raises(Exception, match="PSRoIAlign: required int attribute 'output_height' is missing"):
        run_node("PSRoIAlign", {"X": GOOD_X, "rois": GOOD_ROIS}, output_width=2)
