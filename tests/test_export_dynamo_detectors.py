"""torchvision's detectors through the torch.export-based exporter (dynamo=True).

The patches in export/dynamo_patches.py must not change what the model
computes: with them in place, eager output is bit-identical (here on a
plain random model; test_export_detectors.py checks every detector and
compares the exported graphs with eager).
"""

from __future__ import annotations

import pytest
import torch
from torchvision.models import detection
from torchvision.models.detection import _utils as det_utils

from ort_roi.export import dynamo_patches


def _model(name: str, **options) -> torch.nn.Module:
    torch.manual_seed(0)
    return getattr(detection, name)(weights=None, weights_backbone=None, min_size=256,
                                    max_size=384, **options).eval()


def _image(height: int, width: int, seed: int) -> torch.Tensor:
    return torch.rand(3, height, width, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def mobilenet():
    return _model("fasterrcnn_mobilenet_v3_large_fpn", box_score_thresh=0.011,
                  box_detections_per_img=100000)


@pytest.mark.parametrize("sizes", [[(300, 200)], [(240, 320), (200, 280)]])
def test_patches_keep_eager_output(mobilenet, sizes):
    images = [_image(h, w, i) for i, (h, w) in enumerate(sizes)]
    with torch.no_grad():
        expected = mobilenet(images)
        with dynamo_patches.patched():
            got = mobilenet(images)
    for want, have in zip(expected, got):
        assert want.keys() == have.keys()
        for key in want:
            assert torch.equal(want[key], have[key]), key


def test_decode_with_no_boxes_flattens_the_same():
    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    codes, boxes = torch.zeros(0, 8), [torch.zeros(0, 4)]
    expected = coder.decode(codes, boxes)
    with dynamo_patches.patched():
        got = coder.decode(codes, boxes)
    assert expected.reshape(-1, 4).shape == got.reshape(-1, 4).shape == (0, 4)


def test_batch_norm_patch_is_exact():
    torch.manual_seed(0)
    norm = torch.nn.BatchNorm2d(8).eval()
    with torch.no_grad():
        for tensor in (norm.running_mean, norm.weight, norm.bias):
            tensor.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        x = torch.randn(4, 8, 5, 5)
        expected = norm(x)
        with dynamo_patches.patched():
            got = norm(x)
    assert torch.equal(expected, got)


def test_patched_restores():
    missing = object()
    targets = [(owner, name) for owner, name, _ in dynamo_patches._PATCHES]
    before = [owner.__dict__.get(name, missing) for owner, name in targets]
    with pytest.raises(RuntimeError):
        with dynamo_patches.patched():
            for (owner, name), original in zip(targets, before):
                assert owner.__dict__.get(name, missing) is not original, name
            raise RuntimeError("boom")
    after = [owner.__dict__.get(name, missing) for owner, name in targets]
    assert all(a is b for a, b in zip(after, before))
    assert "forward" not in torch.nn.BatchNorm2d.__dict__  # inherited again
