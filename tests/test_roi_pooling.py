"""What RoIAlign, RoIPool, PSRoIAlign and PSRoIPool share, run on each: parity
with torchvision on edge cases and many rois, threads, non-finite and absurd
boxes, no channels, shape inference, the oldest supported ONNX Runtime, bad input. The cases are in roi_cases.py;
what is particular to one op is in its test_<op>.py."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from onnx import TensorProto, helper

import ort_roi
from roi_cases import (ABSURD_ROWS, EDGE_CASES, NON_FINITE_ROWS, OPS, POSITION_SENSITIVE_EDGE_CASES,
                       bad_inputs, rois_of)
from support import DTYPES, assert_missing_attribute, assert_refused, random_rois

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)
OP_IDS = dict(ids=str)

# Every edge case on every op, with each sampling_ratio and aligned value it takes.
EDGE_RUNS = [(case, op, ratio, aligned) for op in OPS
             for case in EDGE_CASES + (POSITION_SENSITIVE_EDGE_CASES if op.position_sensitive else [])
             for ratio in op.ratios() for aligned in op.alignments()]


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case, op, ratio, aligned", EDGE_RUNS,
                         ids=[f"{c[0]}-{op}-ratio{r}-{'aligned' if a else 'unaligned'}"
                              for c, op, r, a in EDGE_RUNS])
def test_edge_cases(case, op, ratio, aligned, dtype):
    _, (n, c, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    x = op.feature(rng, n, c, h, w, oh, ow, dtype)
    op.check(x, rois_of(rows, dtype), oh, ow, scale, ratio, aligned)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_many_rois_on_every_image(op, dtype):
    rng = np.random.default_rng(1)
    rois = random_rois(rng, 200, 4, 30, dtype)
    assert set(rois[:, 0].astype(int)) == {0, 1, 2, 3}
    for oh, ow, scale, ratio, aligned, k in [(7, 7, 1.0, -1, False, 200), (5, 4, 1.0, 2, True, 200),
                                             (3, 3, 0.5, 2, False, 40)]:
        x = op.feature(rng, 4, 5, 24, 31, oh, ow, dtype)
        op.check(x, rois[:k], oh, ow, scale, ratio, aligned)


@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_threads_do_not_change_the_result(op):
    rng = np.random.default_rng(2)
    x = op.feature(rng, 2, 40, 32, 32, 3, 3, np.float32)
    rois = random_rois(rng, 64, 2, 32, np.float32)
    one = op.ours(x, rois, 3, 3, threads=1)
    np.testing.assert_array_equal(one, op.ours(x, rois, 3, 3, threads=2))
    op.assert_matches(one, op.theirs(x, rois, 3, 3), np.float32)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_non_finite_boxes_give_zeros(op, dtype):
    rng = np.random.default_rng(3)
    x = op.feature(rng, 1, 3, 10, 10, 3, 3, dtype) + 5  # no zeros by chance
    for ratio in op.ratios()[::3]:  # adaptive and a fixed grid of 2
        y = op.ours(x, rois_of(NON_FINITE_ROWS, dtype), 3, 3, 1.0, ratio)
        assert (y[:3] == 0).all()
        assert np.isfinite(y[3]).all() and (y[3] != 0).all()


@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_absurd_boxes_finish_and_stay_finite(op):
    x = np.ones((1, op.channels(2, 2, 2), 8, 8), np.float32)
    y = op.ours(x, rois_of(ABSURD_ROWS, np.float32), 2, 2)
    assert y.shape == (3, 2, 2, 2) and np.isfinite(y).all()
    assert y.max() <= 1.0
    if op.reference.endswith("pool"):  # a max or an average of whole pixels of ones
        assert set(np.unique(y)) <= {0.0, 1.0}


@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_no_input_channels_gives_no_output_channels(op):
    x = np.zeros((1, 0, 5, 5), np.float32)
    rois = rois_of([[0, 1, 1, 3, 3]], np.float32)
    assert op.ours(x, rois, 2, 2).shape == op.theirs(x, rois, 2, 2).shape == (1, 0, 2, 2)


# Each: (X's type, X's shape, rois' shape, output size)
INFERENCE_CASES = [(TensorProto.FLOAT16, ["N", 30, "H", "W"], ["K", 5], (3, 2)),
                   (TensorProto.DOUBLE, [1, 12, "H", "W"], [7, 5], (2, 2))]


@pytest.mark.parametrize("elem, x_shape, rois_shape, size", INFERENCE_CASES, ids=["float16", "double"])
@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_ort_infers_the_output_shape(op, elem, x_shape, rois_shape, size):
    (oh, ow) = size
    nodes = [helper.make_node(op.name, ["X", "rois"], ["Y"], domain="ort_roi",
                              output_height=oh, output_width=ow),
             helper.make_node("Relu", ["Y"], ["Z"])]
    g = helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("X", elem, x_shape),
                           helper.make_tensor_value_info("rois", elem, rois_shape)],
                          [helper.make_tensor_value_info("Z", elem, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    channels = x_shape[1] // (oh * ow) if op.position_sensitive else x_shape[1]
    assert z.shape == [rois_shape[0], channels, oh, ow]
    assert z.type == f"tensor({helper.tensor_dtype_to_np_dtype(elem).name.replace('float64', 'double')})"


RUN_IN_OLDEST = textwrap.dedent("""
    import json, sys
    import numpy as np, onnxruntime as ort
    from onnx import helper
    op, dtype, shape, rows, attrs = json.loads(sys.argv[2])
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    node = helper.make_node(op, ["X", "rois"], ["Y"], domain="ort_roi", **attrs)
    g = helper.make_graph([node], "g",
        [helper.make_tensor_value_info("X", elem, ["N", shape[1], "H", "W"]),
         helper.make_tensor_value_info("rois", elem, ["K", 5])],
        [helper.make_tensor_value_info("Y", elem, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    so = ort.SessionOptions()
    so.register_custom_ops_library(sys.argv[1])
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = s.run(None, {"X": np.arange(np.prod(shape), dtype=dtype).reshape(shape),
                     "rois": np.array(rows, dtype)})[0]
    print(json.dumps([ort.__version__, y.tolist()]))
""")
# Each: (dtype, X's shape, rois rows, output size, sampling_ratio); the first
# for the ops that sample, the second for the ops that pool whole pixels.
OLDEST_CASES = [("float64", [1, 8, 4, 4], [[0, 0.5, 0, 3, 2.5]], (2, 2), 2),
                ("float32", [1, 4, 4, 4], [[0, 0, 0, 3, 3]], (2, 1), -1)]


@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_runs_in_the_oldest_supported_onnxruntime(op):
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    dtype, shape, rows, (oh, ow), ratio = OLDEST_CASES[0 if op.sampling_ratio else 1]
    spec = json.dumps([op.name, dtype, shape, rows, op.attrs(oh, ow, 1.0, ratio, False)])
    out = subprocess.run([sys.executable, "-c", RUN_IN_OLDEST, ort_roi.get_library_path(), spec],
                         env=dict(os.environ, PYTHONPATH=oldest), check=True,
                         capture_output=True, text=True).stdout
    version, y = json.loads(out)
    assert version == "1.21.0"
    x = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    ref = op.theirs(x, np.array(rows, dtype), oh, ow, 1.0, ratio)
    np.testing.assert_array_equal(np.array(y, dtype), ref)


BAD_CASES = [(op, case) for op in OPS for case in bad_inputs(op)]


@pytest.mark.parametrize("op, case", BAD_CASES, ids=[f"{op}-{case[0]}" for op, case in BAD_CASES])
def test_bad_input_is_refused_by_name(op, case):
    _, x, rois, attrs, message = case
    assert_refused(op.name, {"X": x, "rois": rois}, message,
                   **dict(dict(output_height=2, output_width=2), **attrs))


@pytest.mark.parametrize("missing", ["output_height", "output_width"])
@pytest.mark.parametrize("op", OPS, **OP_IDS)
def test_missing_required_attribute_is_refused_by_name(op, missing):
    attrs = dict(output_height=2, output_width=2)
    del attrs[missing]
    inputs = {"X": np.zeros((2, 8, 8, 8), np.float32), "rois": rois_of([[0, 1, 1, 4, 4]], np.float32)}
    assert_missing_attribute(op.name, inputs, f"required int attribute '{missing}' is missing", **attrs)
