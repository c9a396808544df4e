"""Mask R-CNN's mask pasting through the torch.export-based exporter.

torchvision's paste_masks_in_image becomes ort_roi::paste_masks while
exporting (export/paste_masks.py), whose ONNX form blends mask rows and
columns by matrices instead of looping over detections. Compared with
torchvision's function run in this process (any number of detections,
boxes inside the image, across its edges, a pixel or less wide); the Mask
R-CNN detectors end to end are in test_export_detectors.py.

Mask tolerance: the pasted values are blends of two by two mask values with
float32 weights computed as PyTorch's kernel does; only the order of the
sums differs, ~1e-7. A box edge read one pixel off (the float32 box
expansion or its truncation done differently) moves a whole row of the
mask, far more than atol 1e-3.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from torchvision.models.detection import roi_heads
from torchvision.models.detection import transform as tv_transform

import ort_roi.export
from export_support import run
from ort_roi.export import dynamo_patches

MASK_SIDE = 28  # torchvision's mask head


class Paste(torch.nn.Module):
    """The call transform.postprocess makes: boxes in the original image's
    pixels, its size read from the image (symbolic when exported)."""

    def forward(self, masks, boxes, image):
        return tv_transform.paste_masks_in_image(masks, boxes, image.shape[-2:])


def _boxes(count: int, height: int, width: int, kind: str, generator) -> torch.Tensor:
    """Boxes as the detector leaves them: clipped to the image, x1 <= x2, y1 <= y2."""
    size = torch.tensor([width, height], dtype=torch.float32)
    if kind == "inside":
        low = torch.rand(count, 2, generator=generator) * size * 0.6 + 2
        extent = torch.rand(count, 2, generator=generator) * size * 0.3
    elif kind == "edges":  # touching an edge: expanded by 30/28, they cross it
        low = torch.rand(count, 2, generator=generator) * size * 1.4 - size * 0.4
        extent = torch.rand(count, 2, generator=generator) * size
    elif kind == "tiny":  # a pixel or less; some exactly degenerate
        low = torch.rand(count, 2, generator=generator) * size
        extent = torch.rand(count, 2, generator=generator) * 1.5
        extent[::3] = 0
    else:
        raise ValueError(kind)
    high = low + extent
    boxes = torch.cat([low, high], dim=1)
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    return boxes


def _case(count: int, height: int, width: int, kind: str, seed: int):
    generator = torch.Generator().manual_seed(seed)
    masks = torch.rand(count, 1, MASK_SIDE, MASK_SIDE, generator=generator)
    return masks, _boxes(count, height, width, kind, generator), torch.zeros(1, height, width)


@pytest.fixture(scope="module")
def paste_proto() -> onnx.ModelProto:
    count = torch.export.Dim("count", min=0, max=4096)
    height = torch.export.Dim("height", min=2, max=4096)
    width = torch.export.Dim("width", min=2, max=4096)
    return ort_roi.export.export(
        Paste().eval(), _case(5, 60, 80, "inside", 0), dynamo=True,
        input_names=["masks", "boxes", "image"], output_names=["pasted"],
        dynamic_shapes=({0: count}, {0: count}, {1: height, 2: width}))


def test_patch_targets_torchvision_function():
    assert tv_transform.paste_masks_in_image is roi_heads.paste_masks_in_image


@pytest.mark.parametrize("count,height,width,kind", [
    (5, 60, 80, "inside"), (40, 120, 90, "inside"), (40, 100, 70, "edges"),
    (30, 37, 301, "edges"), (60, 50, 64, "tiny"), (1, 2, 2, "edges"), (0, 50, 50, "inside"),
])
def test_paste_matches_eager(paste_proto, count, height, width, kind):
    masks, boxes, image = _case(count, height, width, kind, seed=count + height)
    want = Paste()(masks, boxes, image).numpy()
    got, = run(paste_proto, {"masks": masks.numpy(), "boxes": boxes.numpy(),
                             "image": image.numpy()})
    assert got.shape == want.shape == (count, 1, height, width)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_paste_graph_has_no_loop(paste_proto):
    kinds = {n.op_type for n in paste_proto.graph.node}
    assert "MatMul" in kinds and not kinds & {"Loop", "Scan", "If"}


@pytest.mark.parametrize("kind", ["inside", "edges", "tiny"])
def test_patch_keeps_eager_output(kind):
    masks, boxes, image = _case(50, 90, 130, kind, seed=7)
    expected = Paste()(masks, boxes, image)
    with dynamo_patches.patched():
        assert tv_transform.paste_masks_in_image is not roi_heads.paste_masks_in_image
        got = Paste()(masks, boxes, image)
    assert tv_transform.paste_masks_in_image is roi_heads.paste_masks_in_image
    assert torch.equal(expected, got)
