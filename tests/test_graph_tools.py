"""The tools people run on an exported detector, and the graph still matches
eager PyTorch after each: ORT's full optimisation saved to a file and loaded
again, onnx's checker and strict shape inference, the simplifiers onnxslim and
onnxsim, and a session that also registers onnxruntime-extensions.

The detector is the cheapest of test_export_detectors.py's with both of our
detector nodes (MultiScaleRoIAlign and BatchedNMS): Faster R-CNN on
MobileNetV3, with that module's random weights, sizes and exports (the same
cached objects when both modules run in one process, and the same files when
they run in two workers: no export is paid twice). The tools get copies: some
rewrite the model they are given.

The detector has two of our eight ops; all_ops_model.py, with all eight, goes
through the tools that infer shapes, which must then state what our schemas
know of each output and leave results unchanged bit for bit.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import onnxruntime_extensions
import onnxsim
import onnxslim
import pytest
import torch

import all_ops_model
import ort_roi
import ort_roi.schemas
from export_support import EXPORTERS, mismatches
from test_export_detectors import IMAGES, eager, exported, outputs
from ort_roi.export.models import synthetic_image

pytestmark = [pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

NAME = "fasterrcnn_mobilenet_v3_large_fpn"
# Not the size the graph was exported at: the dynamic sizes must survive too.
HEIGHT, WIDTH, SEED = IMAGES[1]
POOLED = [256, 7, 7]  # MultiScaleRoIAlign's output is [K, 256, 7, 7] in this detector


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    return synthetic_image(HEIGHT, WIDTH, seed=SEED)


@pytest.fixture(scope="module")
def expected(image):
    found = eager(NAME, [image])
    assert len(found[0]) > 0, "the detector finds nothing: nothing would be compared"
    return found


@pytest.fixture(scope="module", params=list(EXPORTERS))
def model(request) -> onnx.ModelProto:
    ort_roi.schemas.register()  # what lets the tools infer through our nodes
    return exported(NAME, request.param)


def fresh(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy the tool may change at will."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


def options(level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL) -> ort.SessionOptions:
    so = ort.SessionOptions()
    so.graph_optimization_level = level
    so.log_severity_level = 3
    return so


def assert_matches_eager(model, expected, image, so=None) -> None:
    """Runs `model` (a ModelProto or a path) with ort_roi registered on `so`."""
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort_roi.InferenceSession(source, so if so is not None else options())
    got = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    assert not mismatches(outputs(NAME), got, expected)


def pooled_dims(model: onnx.ModelProto) -> list:
    """The dims the graph states for MultiScaleRoIAlign's output; None if none."""
    pooling = [n for n in model.graph.node if n.op_type == "MultiScaleRoIAlign"]
    assert len(pooling) == 1
    known = {v.name: v for v in [*model.graph.value_info, *model.graph.output]}
    value = known.get(pooling[0].output[0])
    if value is None or not value.type.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None
            for d in value.type.tensor_type.shape.dim]


def test_full_optimisation_saved_and_loaded_again(model, expected, image, tmp_path):
    path = tmp_path / "optimized.onnx"
    so = options()
    so.optimized_model_filepath = str(path)
    assert_matches_eager(fresh(model), expected, image, so)
    saved = onnx.load(path)
    assert {n.op_type for n in saved.graph.node if n.domain == ort_roi.DOMAIN} == {
        "MultiScaleRoIAlign", "BatchedNMS"}
    # Loaded as ORT advises for a model optimised offline, and as it is by default.
    assert_matches_eager(path, expected, image, options(ort.GraphOptimizationLevel.ORT_DISABLE_ALL))
    assert_matches_eager(path, expected, image)


def test_checker_and_strict_shape_inference(model, expected, image):
    onnx.checker.check_model(fresh(model), full_check=True)
    inferred = onnx.shape_inference.infer_shapes(fresh(model), check_type=True, strict_mode=True)
    assert pooled_dims(inferred)[1:] == POOLED
    assert_matches_eager(inferred, expected, image)


def test_onnxslim(model, expected, image):
    slim = onnxslim.slim(fresh(model))
    assert pooled_dims(slim)[1:] == POOLED
    assert_matches_eager(slim, expected, image)


def test_onnxsim(model, expected, image):
    # onnxsim folds constants by running them in ORT: it needs our library.
    simplified, ok = onnxsim.simplify(fresh(model), custom_lib=ort_roi.get_library_path())
    assert ok
    assert pooled_dims(simplified)[1:] == POOLED
    assert_matches_eager(simplified, expected, image)


@pytest.mark.parametrize("extensions_first", [True, False], ids=["extensions_first", "ours_first"])
def test_a_session_with_onnxruntime_extensions_too(model, expected, image, extensions_first):
    so = options()
    if extensions_first:
        so.register_custom_ops_library(onnxruntime_extensions.get_library_path())
    ort_roi.register(so)
    if not extensions_first:
        so.register_custom_ops_library(onnxruntime_extensions.get_library_path())
    assert_matches_eager(fresh(model), expected, image, so)


# ---------------------------------------------------------------- every op

# What the tools must state for each output of all_ops_model.py's nodes: the
# dims that follow from attributes and from the inputs' fixed dims (None: any,
# symbolic or unknown).
ALL_OPS_DIMS = {"roi_align": [None, 4, 4, 4], "roi_pool": [None, 4, 4, 4],
                "ps_roi_align": [None, 4, 3, 3], "ps_roi_pool": [None, 4, 3, 3],
                "multi_scale": [None, 4, 4, 4], "nms": [None], "batched_nms": [None],
                "deform_conv": [None, 6, None, None]}
TOOLS = {
    "strict_inference": lambda m: onnx.shape_inference.infer_shapes(m, check_type=True,
                                                                     strict_mode=True),
    "onnxslim": onnxslim.slim,
    "onnxsim": lambda m: onnxsim.simplify(m, custom_lib=ort_roi.get_library_path())[0],
}


def stated_types(model: onnx.ModelProto) -> dict:
    """Output name -> (element type, dims) for every output of our nodes."""
    known = {v.name: v.type.tensor_type for v in [*model.graph.value_info, *model.graph.output]}
    found = {}
    for node in model.graph.node:
        if node.domain == ort_roi.DOMAIN and node.output[0] in known:
            t = known[node.output[0]]
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            found[node.output[0]] = (t.elem_type, dims)
    return found


@pytest.mark.parametrize("tool", TOOLS)
def test_every_op_keeps_its_types_and_results_through(tool):
    """all_ops_model.py (the eight ops) through each tool: every output of our
    nodes gets its type and the dims the schema knows, and the tool's graph
    computes exactly what the original does."""
    ort_roi.schemas.register()
    original = onnx.load_from_string(all_ops_model.model())
    onnx.checker.check_model(original, full_check=True)
    result = TOOLS[tool](fresh(original))
    types = stated_types(result)
    assert sorted(types) == sorted(ALL_OPS_DIMS)
    for name, (elem_type, dims) in types.items():
        want = ALL_OPS_DIMS[name]
        assert elem_type == (onnx.TensorProto.INT64 if "nms" in name else onnx.TensorProto.FLOAT)
        assert len(dims) == len(want), name
        assert all(w is None or d == w for d, w in zip(dims, want)), (name, dims)
    inputs = all_ops_model.input_sets()[0]
    before = ort_roi.InferenceSession(original.SerializeToString()).run(None, inputs)
    after = ort_roi.InferenceSession(result.SerializeToString()).run(None, inputs)
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
