"""Whole detectors on CUDA: torchvision's two-stage detectors exported through
ort_roi (TorchScript exporter; the models, images and outputs of tests/
test_export_detectors.py), run by onnxruntime-gpu's CUDA execution provider
with every ort_roi node on the GPU, against the same model run eagerly by
torch on CUDA, output by output with the CPU suite's tolerances.

TF32 is off on both sides (torch.backends' flags; ORT's `use_tf32` provider
option): with it, each side's cuDNN convolutions round their products to 10
bits of mantissa in their own way, and the boxes of a random-weight detector
move by tenths of a pixel (bench_cuda.py's Mask R-CNN row, which keeps the
defaults). Without it the two runtimes differ as they do on the CPU."""

from __future__ import annotations

import functools
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import ort_roi
import ort_roi.export
from cuda_support import providers_by_node
from export_support import mismatches
from ort_roi.export.models import synthetic_image
from test_export_detectors import IMAGES, model, outputs

pytestmark = [pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

DETECTORS = ["fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn"]


@functools.cache
def exported(name: str) -> bytes:
    example = [synthetic_image(*IMAGES[0][:2], seed=0)]
    proto = ort_roi.export.export(
        model(name), (example,), dynamo=False, input_names=["image"],
        output_names=outputs(name),
        dynamic_axes={"image": [1, 2]} | {o: [0, 2, 3] if o == "masks" else [0]
                                          for o in outputs(name)})
    return proto.SerializeToString()


def eager(name: str, image: torch.Tensor, device: str) -> list[np.ndarray]:
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.no_grad():
            result = model(name).to(device)([image.to(device)])[0]
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        model(name).to("cpu")
    return [result[o].cpu().numpy() for o in outputs(name)]


def session(name: str, providers: list) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "detector")
    return ort_roi.InferenceSession(exported(name), so, providers=providers)


def our_node_providers(name: str, sess: ort.InferenceSession) -> dict[str, str]:
    """Each ort_roi node of the graph -> the execution provider that ran it."""
    ours = {n.name for n in onnx.load_from_string(exported(name)).graph.node
            if n.domain == ort_roi.DOMAIN}
    ran = providers_by_node(sess)
    return {node: ran.get(node, "not run") for node in sorted(ours)}


def compare(name: str, device: str, providers: list) -> None:
    sess = session(name, providers)
    detected = 0
    for height, width, seed in IMAGES:
        image = synthetic_image(height, width, seed=seed)
        want = eager(name, image, device)
        got = sess.run(None, {"image": image.numpy()})
        problems = mismatches(outputs(name), got, want)
        assert not problems, f"{name} on a {height}x{width} image: " + "; ".join(problems)
        detected += len(want[0])
    assert detected > 0, f"{name}: no detections on any image, so nothing was compared"
    where = our_node_providers(name, sess)
    expected = providers[0] if isinstance(providers[0], str) else providers[0][0]
    assert where and all(p == expected for p in where.values()), where


@pytest.mark.parametrize("name", DETECTORS)
def test_detector_on_cuda_matches_eager_cuda(name):
    compare(name, "cuda", [("CUDAExecutionProvider", {"use_tf32": "0"}), "CPUExecutionProvider"])
