"""Helpers shared by the tests: one-node models, sessions, comparisons."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

import ort_roi

ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE,
             np.float16: TensorProto.FLOAT16, np.int64: TensorProto.INT64,
             np.int32: TensorProto.INT32}

DTYPES = [np.float32, np.float64, np.float16]


def one_node_model(op: str, inputs: dict[str, np.ndarray], n_outputs: int = 1,
                   out_type=None, **attrs) -> bytes:
    if out_type is None:  # the roi ops give the feature map's type
        out_type = ONNX_TYPE[next(iter(inputs.values())).dtype.type]
    node = helper.make_node(op, list(inputs), [f"Y{i}" for i in range(n_outputs)],
                            domain="ort_roi", **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(k, ONNX_TYPE[v.dtype.type], None) for k, v in inputs.items()],
        [helper.make_tensor_value_info(f"Y{i}", out_type, None)
         for i in range(n_outputs)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)],
                              ir_version=8)
    return model.SerializeToString()


def run_node(op: str, inputs: dict[str, np.ndarray], threads: int = 0, **attrs) -> np.ndarray:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.log_severity_level = 4  # errors are asserted on, not logged
    sess = ort_roi.InferenceSession(one_node_model(op, inputs, **attrs), so)
    return sess.run(None, inputs)[0]


def reference_inputs(*arrays: np.ndarray) -> list:
    """torchvision's inputs: float16 is compared against torchvision in float32
    on the same (already rounded) values; other types run as they are."""
    import torch  # here, so that hostile_worker.py's children fork without torch

    return [torch.from_numpy(a.astype(np.float32) if a.dtype == np.float16 else a)
            for a in arrays]


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype) -> None:
    """DESIGN.md's tolerances: float32 1e-5 relative (1e-6 absolute), float16
    1e-2 relative against float32, float64 near machine precision."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype == np.float16:
        rtol, atol = 1e-2, 1e-3
    elif dtype == np.float32:
        rtol, atol = 1e-5, 1e-6
    else:
        rtol, atol = 1e-10, 1e-12
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                               rtol=rtol, atol=atol)


def random_rois(rng: np.random.Generator, k: int, n: int, extent: float, dtype) -> np.ndarray:
    xy = rng.uniform(-0.25 * extent, extent, (k, 2))
    wh = rng.uniform(0, 0.75 * extent, (k, 2))
    b = rng.integers(0, n, (k, 1))
    return np.concatenate([b, xy, xy + wh], axis=1).astype(dtype)


def random_boxes(rng: np.random.Generator, n: int, extent: float, dtype,
                 integral: bool = False) -> np.ndarray:
    """[n, 4] boxes (x1, y1, x2, y2) inside about [0, 1.5 * extent], many
    overlapping; `integral` puts every corner on whole numbers, which makes
    equal areas and IoUs that are exact fractions (0.5, 0.3, ...) common."""
    xy = rng.uniform(0, extent, (n, 2))
    wh = rng.uniform(0, 0.5 * extent, (n, 2))
    if integral:
        xy, wh = np.round(xy), np.round(wh)
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def assert_refused(op: str, inputs: dict[str, np.ndarray], message: str, **attrs) -> None:
    """Running the node fails with INVALID_ARGUMENT, and the message names the
    op and says `message`."""
    with pytest.raises(InvalidArgument) as err:
        run_node(op, inputs, **attrs)
    assert f"{op}: " in str(err.value)
    assert message in str(err.value)


def assert_missing_attribute(op: str, inputs: dict[str, np.ndarray], message: str, **attrs) -> None:
    """A node without a required attribute is refused with `op: message`."""
    with pytest.raises(Exception, match=f"{op}: {message}"):
        run_node(op, inputs, **attrs)
