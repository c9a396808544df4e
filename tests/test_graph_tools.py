"""The tools people run on an exported detector, and the graph still matches
eager PyTorch after each: ORT's full optimisation saved to a file and loaded
again, onnx's checker and strict shape inference, the simplifiers onnxslim and
onnxsim, and a session that also registers onnxruntime-extensions.

The detector is the cheapest of test_export_detectors.py's with both of our
detector nodes (MultiScaleRoIAlign and BatchedNMS): Faster R-CNN on
MobileNetV3, with that module's random weights, sizes and exports (the same
cached objects when both modules run in one session, so no export is paid
twice). The tools get copies: some rewrite the model they are given.
"""

from __future__ import annotations

import onnx
import onnxruntime as ort
import onnxruntime_extensions
import onnxsim
import onnxslim
import pytest
import torch

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
