"""PSRoIPool: parity with torchvision.ops.ps_roi_pool, edge cases, bad input."""

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


def ours(x, rois, oh, ow, scale, threads=0):
    return run_node("PSRoIPool", {"X": x, "rois": rois}, threads=threads, output_height=oh,
                    output_width=ow, spatial_scale=scale)


def theirs(x, rois, oh, ow, scale):
    tx, tr = reference_inputs(x, rois)
    return torchvision.ops.ps_roi_pool(tx, tr, (oh, ow), scale).numpy()


def check(x, rois, oh=3, ow=3, scale=1.0):
    # ort_roi adds a bin's pixels in torchvision's order and divides by the
    # same count, so float32 and float64 match bit for bit; float16 is
    # accumulated in float32 and rounded once, against torchvision in float32.
    y, ref = ours(x, rois, oh, ow, scale), theirs(x, rois, oh, ow, scale)
    assert y.dtype == x.dtype
    if x.dtype == np.float16:
        assert_close(y, ref, np.float16)
    else:
        np.testing.assert_array_equal(y, ref)


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
    ("half_pixel_rounding", (1, 2, 10, 12), [[0, 0.5, 1.5, 2.5, 3.5], [0, -0.5, -1.5, 4.5, 5.5]], 1.0, (2, 2)),
    ("more_bins_than_pixels", (1, 2, 10, 12), [[0, 1, 1, 3, 2]], 1.0, (5, 5)),
    ("partly_outside", (1, 2, 10, 12), [[0, -6, -3, 5, 6], [0, 8, 7, 20, 15]], 1.0, (4, 4)),
    ("wholly_outside", (1, 2, 10, 12), [[0, 30, 30, 40, 40], [0, -20, -20, -5, -5]], 1.0, (3, 3)),
    # torchvision clips bins to [0, H - 1]: the last row and column are never read.
    ("whole_map", (1, 2, 10, 12), [[0, 0, 0, 12, 10], [0, 0, 0, 11, 9]], 1.0, (1, 1)),
    ("box_on_far_edge", (1, 2, 10, 12), [[0, 10, 8, 12, 10]], 1.0, (2, 2)),
    ("one_by_one_map", (2, 3, 1, 1), [[0, 0, 0, 1, 1], [1, -1, -1, 2, 2], [1, 0.3, 0.2, 0.6, 0.9]], 1.0, (2, 2)),
    ("one_row_map", (1, 2, 1, 9), [[0, 0, 0, 8, 1]], 1.0, (1, 3)),
    ("one_by_one_output", (1, 5, 10, 12), [[0, 1, 2, 9, 8]], 1.0, (1, 1)),
    ("batch_of_three", (3, 2, 9, 11), [[2, 1, 1, 8, 6], [0, 0, 0, 10, 8], [1, 3, 2, 5, 7], [2, 0, 0, 3, 3]], 1.0, (3, 2)),
    ("several_times_the_map", (1, 2, 16, 20), [[0, -40, -30, 80, 70]], 1.0, (3, 3)),
    ("scaled_quarter", (1, 2, 13, 17), [[0, 3, 5, 60, 47], [0, 10, 2, 11, 3]], 0.25, (7, 7)),
    ("scaled_sixteenth", (1, 2, 8, 8), [[0, 3, 5, 120, 97]], 1 / 16, (5, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases(case, dtype):
    _, (n, c_out, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    check(feature(rng, n, c_out, oh, ow, h, w, dtype), rois_of(rows, dtype), oh, ow, scale)


def test_bins_average_and_skip_the_last_row_and_column():
    x = np.arange(30, dtype=np.float64).reshape(1, 1, 5, 6)
    y = ours(x, rois_of([[0, 0, 0, 6, 5], [0, 2, 2, 2, 2], [0, 0, 0, 1, 1]], np.float64), 1, 1, 1.0)
    assert y.ravel().tolist() == [x[0, 0, :4, :5].mean(), 14.0, 0.0]
    assert (ours(np.ones((1, 4, 1, 1)), rois_of([[0, 0, 0, 1, 1]], np.float64), 2, 2, 1.0) == 0).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_many_rois_on_every_image(dtype):
    rng = np.random.default_rng(1)
    x = feature(rng, 4, 5, 3, 3, 24, 31, dtype)
    rois = random_rois(rng, 150, 4, 30, dtype)
    assert set(rois[:, 0].astype(int)) == {0, 1, 2, 3}
    check(x, rois, 3, 3, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c_out=st.integers(1, 4), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 5), ow=st.integers(1, 5),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random(n, c_out, h, w, k, oh, ow, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = feature(rng, n, c_out, oh, ow, h, w, dtype)
    check(x, random_rois(rng, k, n, max(h, w) / scale, dtype), oh, ow, scale)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 10), oh=st.integers(1, 4),
    ow=st.integers(1, 4), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random_half_pixel_corners_in_any_order(h, w, k, oh, ow, dtype, seed):
    # Corners on half pixels test the rounding; any order gives zero-size and
    # inverted boxes often.
    rng = np.random.default_rng(seed)
    x = feature(rng, 2, 2, oh, ow, h, w, dtype)
    corners = rng.integers(-6, 2 * max(h, w) + 6, (k, 4)) / 2
    rois = np.concatenate([rng.integers(0, 2, (k, 1)), corners], axis=1).astype(dtype)
    check(x, rois, oh, ow, 1.0)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(2)
    x = feature(rng, 2, 40, 3, 3, 32, 32, np.float32)
    rois = random_rois(rng, 64, 2, 32, np.float32)
    one = ours(x, rois, 3, 3, 1.0, threads=1)
    np.testing.assert_array_equal(one, ours(x, rois, 3, 3, 1.0, threads=2))
    np.testing.assert_array_equal(one, theirs(x, rois, 3, 3, 1.0))


def test_no_input_channels_gives_no_output_channels():
    x = np.zeros((1, 0, 5, 5), np.float32)
    rois = rois_of([[0, 1, 1, 3, 3]], np.float32)
    assert ours(x, rois, 2, 2, 1.0).shape == theirs(x, rois, 2, 2, 1.0).shape == (1, 0, 2, 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_non_finite_boxes_give_zeros(dtype):
    # torchvision rounds NaN to an int (undefined); ort_roi gives zeros.
    rng = np.random.default_rng(3)
    x = feature(rng, 1, 2, 3, 3, 10, 10, dtype) + 5
    rows = [[0, np.nan, 1, 5, 5], [0, 1, 1, np.inf, 5], [0, -np.inf, 1, 5, 5], [0, 1, 1, 6, 6]]
    y = ours(x, rois_of(rows, dtype), 3, 3, 1.0)
    assert (y[:3] == 0).all()
    assert (y[3] != 0).all()


def test_absurd_boxes_finish_and_stay_finite():
    # Rounded corners are clamped to +-2**30 before the integer conversion:
    # no overflow, and a bin never covers more than the map.
    x = np.ones((1, 8, 8, 8), np.float32)
    rois = rois_of([[0, -1e30, -1e30, 1e30, 1e30], [0, 0, 0, 3e38, 3e38],
                    [0, 1e30, 1e30, -1e30, -1e30]], np.float32)
    y = ours(x, rois, 2, 2, 1.0)
    assert y.shape == (3, 2, 2, 2) and np.isfinite(y).all()
    assert set(np.unique(y)) <= {0.0, 1.0}


def test_ort_infers_the_output_shape():
    nodes = [helper.make_node("PSRoIPool", ["X", "rois"], ["Y"], domain="ort_roi",
                              output_height=2, output_width=2),
             helper.make_node("Relu", ["Y"], ["Z"])]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [1, 12, "H", "W"]),
                           helper.make_tensor_value_info("rois", TensorProto.DOUBLE, [7, 5])],
                          [helper.make_tensor_value_info("Z", TensorProto.DOUBLE, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    assert z.shape == [7, 3, 2, 2]
    assert z.type == "tensor(double)"


RUN_IN_OLDEST = textwrap.dedent("""
    import sys
    import numpy as np, onnxruntime as ort
    from onnx import TensorProto, helper
    node = helper.make_node("PSRoIPool", ["X", "rois"], ["Y"], domain="ort_roi",
                            output_height=2, output_width=1)
    g = helper.make_graph([node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 4, "H", "W"]),
         helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["K", 5])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    so = ort.SessionOptions()
    so.register_custom_ops_library(sys.argv[1])
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = s.run(None, {"X": np.arange(64, dtype=np.float32).reshape(1, 4, 4, 4),
                     "rois": np.array([[0, 0, 0, 3, 3]], np.float32)})[0]
    print(ort.__version__, y.shape, y.ravel().tolist())
""")


def test_runs_in_the_oldest_supported_onnxruntime():
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    out = subprocess.run([sys.executable, "-c", RUN_IN_OLDEST, ort_roi.get_library_path()],
                         env=dict(os.environ, PYTHONPATH=oldest), check=True,
                         capture_output=True, text=True).stdout.split(" ", 1)
    assert out[0] == "1.21.0"
    x = torch.arange(64, dtype=torch.float32).reshape(1, 4, 4, 4)
    ref = torchvision.ops.ps_roi_pool(x, torch.tensor([[0.0, 0, 0, 3, 3]]), (2, 1), 1.0)
    assert out[1].strip() == f"(1, 2, 2, 1) {ref.numpy().ravel().tolist()}"


def test_numpy_api_accepts_every_box_format():
    rng = np.random.default_rng(5)
    x = feature(rng, 2, 3, 2, 3, 16, 20, np.float32)
    per_image = [np.array([[1, 2, 9, 12], [0, 0, 15, 15]], np.float32),
                 np.array([[3, 3, 8, 6]], np.float32)]
    ref = torchvision.ops.ps_roi_pool(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                      (2, 3), 0.5).numpy()
    np.testing.assert_array_equal(ops.ps_roi_pool(x, per_image, (2, 3), 0.5), ref)
    np.testing.assert_array_equal(ops.ps_roi_pool(x, ops.to_rois(per_image, np.float32), (2, 3), 0.5), ref)
    np.testing.assert_array_equal(
        ops.ps_roi_pool(x, np.concatenate(per_image), (2, 3), 0.5, boxes_num=[2, 1]), ref)
    assert ops.ps_roi_pool(x.astype(np.float16), per_image, (2, 3)).dtype == np.float16


GOOD_X = np.zeros((2, 8, 8, 8), np.float32)
GOOD_ROIS = rois_of([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], np.float32)
BAD_INPUTS = [
    ("channels_not_divisible", GOOD_X[:, :7], GOOD_ROIS, {},
     "input 'X' has 7 channels, which is not a multiple of output_height * output_width (2 * 2 = 4)"),
    ("fewer_channels_than_bins", GOOD_X, GOOD_ROIS, {"output_height": 4, "output_width": 3},
     "input 'X' has 8 channels, which is not a multiple of output_height * output_width (4 * 3 = 12)"),
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
    ("integer_feature", GOOD_X.astype(np.int64), GOOD_ROIS, {},
     "input 'X' must be float32, float64 or float16"),
    ("zero_output_width", GOOD_X, GOOD_ROIS, {"output_width": 0},
     "'output_height' and 'output_width' must be positive, got 2 and 0"),
    ("negative_spatial_scale", GOOD_X, GOOD_ROIS, {"spatial_scale": -1.0},
     "'spatial_scale' must be a finite positive number"),
    ("empty_map", np.zeros((1, 8, 8, 0), np.float32), GOOD_ROIS[:1], {},
     "input 'X' must have positive height and width"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, x, rois, attrs, message = case
    kwargs = dict(output_height=2, output_width=2)
    kwargs.update(attrs)
    with pytest.raises(InvalidArgument) as err:
        run_node("PSRoIPool", {"X": x, "rois": rois}, **kwargs)
    assert "PSRoIPool: " in str(err.value)
    assert message in str(err.value)


def test_missing_required_attribute_is_refused_by_name():
    with pytest.raises(Exception, match="PSRoIPool: required int attribute 'output_width' is missing"):
        run_node("PSRoIPool", {"X": GOOD_X, "rois": GOOD_ROIS}, output_height=2)
