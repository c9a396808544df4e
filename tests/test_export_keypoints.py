"""Keypoint R-CNN through the torch.export-based exporter (dynamo=True).

torchvision's heatmaps_to_keypoints (one bicubic resize per detection, to a
size read from its box) becomes ort_roi::heatmaps_to_keypoints while
exporting, and an ONNX Loop in the graph (export/keypoints.py). Compared
with eager run here: positions within rtol 1e-4 atol 1e-3 px, visibility
exactly, scores (resized heatmap logits) rtol 1e-4 atol 1e-3. The detector end to end
is in test_export_detectors.py. ORT's cubic
Resize rounds differently from PyTorch's (~1e-5 on logits of tens); a
position off by more than the tolerance is a near-tie in a resized map
broken the other way.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torchvision.models.detection import roi_heads

import ort_roi.export
from export_support import run
from ort_roi.export import dynamo_patches

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class Keypoints(torch.nn.Module):
    def forward(self, maps, rois):
        # Looked up at call time, so that the export's patch applies.
        return roi_heads.heatmaps_to_keypoints(maps, rois)


def heatmaps_and_rois(count: int, seed: int, keypoints: int = 17, side: int = 56):
    """Logits of tens; boxes from under a pixel (clamped to 1 by torchvision)
    to several times the heatmap, some partly off the image's top left."""
    generator = torch.Generator().manual_seed(seed)
    maps = 10 * torch.randn(count, keypoints, side, side, generator=generator)
    corner = 400 * torch.rand(count, 2, generator=generator) - 40
    size = torch.exp(7 * torch.rand(count, 2, generator=generator) - 1.5)  # 0.2 to 250 px
    size[: count // 4] = torch.tensor([1.0, 1.0])  # exactly one pixel
    return maps, torch.cat([corner, corner + size], dim=1)


def assert_keypoints_match(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_allclose(got[..., :2], want[..., :2], rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(got[..., 2], want[..., 2])


@functools.cache
def exported_op():
    rois = torch.export.Dim("rois", min=0, max=4096)
    maps, boxes = heatmaps_and_rois(3, seed=0)
    return ort_roi.export.export(Keypoints(), (maps, boxes), dynamo=True,
                                 input_names=["maps", "rois"], output_names=["xy", "heat"],
                                 dynamic_shapes=({0: rois}, {0: rois}))


def test_op_exports_as_one_loop():
    kinds = [n.op_type for n in exported_op().graph.node]
    assert kinds.count("Loop") == 1
    assert "heatmaps_to_keypoints" not in kinds  # inlined, nothing ORT would not know


@pytest.mark.parametrize("count, seed", [(0, 1), (1, 2), (7, 3), (40, 4), (100, 5)])
def test_op_matches_eager(count, seed):
    maps, rois = heatmaps_and_rois(count, seed)
    want_xy, want_scores = (t.numpy() for t in Keypoints()(maps, rois))
    got_xy, got_scores = run(exported_op(), {"maps": maps.numpy(), "rois": rois.numpy()})
    assert got_xy.shape == want_xy.shape == (count, 17, 3)
    assert got_scores.shape == want_scores.shape == (count, 17)
    assert got_xy.dtype == got_scores.dtype == np.float32
    assert_keypoints_match(got_xy, want_xy)
    np.testing.assert_allclose(got_scores, want_scores, rtol=1e-4, atol=1e-3)


def test_op_keeps_eager_output():
    maps, rois = heatmaps_and_rois(20, seed=6)
    original = roi_heads.heatmaps_to_keypoints
    expected = original(maps, rois)
    with dynamo_patches.patched():
        assert roi_heads.heatmaps_to_keypoints is not original
        got = roi_heads.heatmaps_to_keypoints(maps, rois)
    for want, have in zip(expected, got):
        assert torch.equal(want, have)
    assert roi_heads.heatmaps_to_keypoints is original
