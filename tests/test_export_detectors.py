"""torchvision's two-stage detectors (one-stage ones and raw random weights:
test_export_raw_detectors.py), exported through ort_roi with either exporter
(TorchScript, and torch.export with dynamo=True), run in ONNX Runtime like
PyTorch eager, output by output.

Models have random weights made to behave (export/models.py, spread_scores): a
few dozen detections per image with scores spread apart. Everything is
compared with eager run in this process; nothing is pasted.

Tolerances. ORT's convolutions and PyTorch's round differently (~1e-6
relative); through ResNet-50, FPN and the heads that grows to ~1e-5 on
scores and logits. Boxes are decoded with exp() of regressed deltas and
scaled to the original image: measured differences stay under 2e-3 px on
boxes of a few hundred px, so rtol 1e-4 (0.03 px at 300 px) plus atol 1e-3 px.
Scores (softmax probabilities) atol 1e-4, ten times what was seen. Masks are
probabilities pasted per pixel: atol 1e-3. Keypoints come from the argmax of
an upsampled heatmap: positions within boxes' tolerance, visibility exact,
their scores (heatmap logits, tens) rtol 1e-4 atol 1e-3. Labels exactly.
Any of these failing by more than a tolerance is a different detection (a
near-tie broken the other way) or a bug, never rounding.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import ort_roi.export
from export_support import (EXPORTERS, TOLERANCES, TWO_STAGE_SIZE, one_detector_at_a_time,
                            run_session, shared_by_workers)
from graph_probe import session
from ort_roi.export import dynamo_patches
from ort_roi.export.models import TWO_STAGE, build_detector, synthetic_image

# Tracing torchvision's detectors warns at every Python-level shape read.
pytestmark = [pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

OUTPUTS = {
    "fasterrcnn": ["boxes", "labels", "scores"],
    "maskrcnn": ["boxes", "labels", "scores", "masks"],
    "keypointrcnn": ["boxes", "labels", "scores", "keypoints", "keypoints_scores"],
}
POOLERS = {"fasterrcnn": 1, "maskrcnn": 2, "keypointrcnn": 2}  # box, mask, keypoint
# (height, width, seed): portrait, landscape, smaller and larger than the transform's.
# Seeds where no model saturates at 100 detections of score 1.0: there the
# order of equal scores decides, and the comparison would test tie-breaking.
IMAGES = [(240, 320, 101), (300, 200, 103), (180, 240, 104)]
# Images in which a random detector tends to find nothing: flat greys, and
# pixel noise (Keypoint R-CNN finds someone in every flat grey).
BLANKS = (0.5, 0.25, 0.75, 1.0, "noise")
# The routing that torchvision's MultiScaleRoIAlign exports as, and ONNX's own pooling.
ROUTING = {"RoiAlign", "ScatterElements", "ScatterND"}


def outputs(name: str) -> list[str]:
    return OUTPUTS[name.split("_")[0]]


@one_detector_at_a_time
def model(name: str) -> torch.nn.Module:
    return build_detector(name, **TWO_STAGE_SIZE)


def exported(name: str, exporter: str, images: int = 1) -> onnx.ModelProto:
    """Exported once per model, exporter and image count, with dynamic image sizes."""
    # One cache key whether or not the caller spelled out images=1
    # (the cache keys on the arguments as passed).
    return _exported(name, exporter, images)


# test_graph_tools.py runs the tools on this one's exports: whichever worker
# exports it first, the other reads its file. Only this one goes to disk
# (78 MB an export; nothing else reads the others twice).
SHARED = ("fasterrcnn_mobilenet_v3_large_fpn",)


@one_detector_at_a_time
def _exported(name: str, exporter: str, images: int) -> onnx.ModelProto:
    inputs = [f"image{i}" for i in range(images)]
    example = [synthetic_image(*IMAGES[i][:2], seed=i) for i in range(images)]
    names = [f"{o}{i}" for i in range(images) for o in outputs(name)]

    def export() -> bytes:
        return _export(model(name), exporter, example, inputs, names)

    key = f"{name}-{exporter}-{images}.onnx"
    return onnx.load_from_string(shared_by_workers(key, export) if name in SHARED else export())


def _export(detector, exporter, example, inputs, names) -> bytes:
    if EXPORTERS[exporter]:
        # torch.export: a height and width of its own per image; the outputs'
        # sizes follow from the graph.
        dims = [{1: torch.export.Dim(f"height{i}", min=32, max=2048),
                 2: torch.export.Dim(f"width{i}", min=32, max=2048)} for i in range(len(inputs))]
        options = dict(dynamo=True, dynamic_shapes=(dims,))
    else:
        options = dict(dynamic_axes={i: [1, 2] for i in inputs}
                       | {o: [0, 2, 3] if o.startswith("masks") else [0] for o in names})
    proto = ort_roi.export.export(detector, (example,), input_names=inputs,
                                  output_names=names, **options)
    return proto.SerializeToString()


def eager(name: str, images: list[torch.Tensor]) -> list[np.ndarray]:
    with torch.no_grad():
        results = model(name)(images)
    return [r[o].numpy() for r in results for o in outputs(name)]


@one_detector_at_a_time
def exported_session(name: str, exporter: str, images: int) -> ort.InferenceSession:
    return session(exported(name, exporter, images))


def assert_matches_eager(name: str, exporter: str, images: list[torch.Tensor],
                         expected: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """`expected`: eager's outputs on `images`, when the caller has them already."""
    if expected is None:
        expected = eager(name, images)
    actual = run_session(exported_session(name, exporter, len(images)),
                         {f"image{i}": image.numpy() for i, image in enumerate(images)})
    names = outputs(name) * len(images)
    assert len(actual) == len(expected)
    for output, got, want in zip(names, actual, expected):
        assert got.shape == want.shape, (output, got.shape, want.shape)
        assert got.dtype == want.dtype, output
        if output == "labels":
            np.testing.assert_array_equal(got, want)
        elif output == "keypoints":
            rtol, atol = TOLERANCES[output]
            np.testing.assert_allclose(got[..., :2], want[..., :2], rtol=rtol, atol=atol)
            np.testing.assert_array_equal(got[..., 2], want[..., 2])
        else:
            rtol, atol = TOLERANCES[output]
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=output)
    return expected


def detections(name: str, image: torch.Tensor) -> int:
    with torch.no_grad():
        return len(model(name)([image])[0]["scores"])


@pytest.mark.parametrize("name", TWO_STAGE)
def test_dynamo_patches_keep_eager_output(name):
    """What torch.export traces (torchvision with export/dynamo_patches.py
    applied) computes bit for bit what torchvision does."""
    image = synthetic_image(*IMAGES[0][:2], seed=IMAGES[0][2])
    expected = eager(name, [image])
    with dynamo_patches.patched():
        got = eager(name, [image])
    assert len(expected[0]) > 0
    for output, want, have in zip(outputs(name), expected, got):
        np.testing.assert_array_equal(have, want, err_msg=output)


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", TWO_STAGE)
def test_graph_pools_each_level_in_one_node(name, exporter):
    nodes = exported(name, exporter).graph.node
    pooling = [n for n in nodes if n.op_type == "MultiScaleRoIAlign"]
    assert len(pooling) == POOLERS[name.split("_")[0]]
    assert all(n.domain == "ort_roi" for n in pooling)
    assert not {n.op_type for n in nodes} & ROUTING
    # torchvision's own box filtering leaves NonZero in the graph; none of it
    # may stand between the rois and the pooling (routing rois to levels).
    producers = {out: n for n in nodes for out in n.output}
    for node in pooling:
        assert _ancestor_types(node.input[0], producers, depth=3).isdisjoint(
            {"NonZero", "Where", "ScatterElements"}), name


def _ancestor_types(value: str, producers: dict, depth: int) -> set[str]:
    node = producers.get(value)
    if node is None or depth == 0:
        return set()
    found = {node.op_type}
    for parent in node.input:
        found |= _ancestor_types(parent, producers, depth - 1)
    return found


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", TWO_STAGE)
def test_graph_takes_images_of_any_size(name, exporter):
    dims = exported(name, exporter).graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_value == 3
    assert all(d.dim_param and not d.dim_value for d in dims[1:]), dims


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", TWO_STAGE)
def test_matches_eager_on_images_of_several_sizes(name, exporter):
    for height, width, seed in IMAGES:
        image = synthetic_image(height, width, seed=seed)
        expected = eager(name, [image])
        assert len(expected[0]) > 0, f"{name} finds nothing in the {height}x{width} image"
        assert_matches_eager(name, exporter, [image], expected)


def blank(value) -> torch.Tensor:
    if value == "noise":
        return torch.rand(3, 200, 280, generator=torch.Generator().manual_seed(0))
    return torch.full((3, 200, 280), value)


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", TWO_STAGE)
def test_matches_eager_on_a_blank_image(name, exporter):
    """No detection: the mask and keypoint heads run on none."""
    image = next((i for i in map(blank, BLANKS) if detections(name, i) == 0), None)
    assert image is not None, f"{name} detects something in every blank image"
    expected = assert_matches_eager(name, exporter, [image])
    assert all(len(e) == 0 for e in expected)


# Each exporter on both heads that run per detection, in one export each (a
# dynamo export of a two-image detector costs two minutes on two cores).
@pytest.mark.parametrize("name, exporter", [("maskrcnn_resnet50_fpn", "dynamo"),
                                            ("keypointrcnn_resnet50_fpn", "torchscript")])
def test_matches_eager_on_a_batch_of_two(name, exporter):
    images = [synthetic_image(h, w, seed=seed) for h, w, seed in IMAGES[:2]]
    assert all(detections(name, image) > 0 for image in images)
    assert_matches_eager(name, exporter, images)
