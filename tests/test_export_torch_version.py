"""A torchvision detector through torch.export needs torch 2.13 or newer
(export/dynamo_patches.py: check_torch): on an older torch the export is
refused before anything is traced, with a message that says what to do
instead, and only for detectors; other models export as before."""

from __future__ import annotations

import pytest
import torch
import torchvision

import ort_roi.export
from export_support import run
from ort_roi.export import dynamo_patches


@pytest.mark.parametrize("version, release", [("2.12.1+cu130", (2, 12)), ("2.13.0", (2, 13)),
                                              ("2.10.0a0+git1234abc", (2, 10)), ("3.0.1", (3, 0))])
def test_release_is_read_from_torch_version(monkeypatch, version, release):
    monkeypatch.setattr(torch, "__version__", version)
    assert dynamo_patches.torch_release() == release


def _detector() -> torch.nn.Module:
    return torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None).eval()


class _Pool(torch.nn.Module):
    def forward(self, x, boxes):
        return torchvision.ops.roi_align(x, [boxes], 3, spatial_scale=0.5, sampling_ratio=2)


def test_an_older_torch_refuses_a_detector_by_name(monkeypatch):
    monkeypatch.setattr(dynamo_patches, "torch_release", lambda: (2, 12))
    with pytest.raises(RuntimeError, match=r"FasterRCNN is a torchvision detector.*needs torch "
                                           r"2\.13 or newer.*dynamo=False"):
        ort_roi.export.export(_detector(), ([torch.rand(3, 64, 64)],), dynamo=True)


def test_an_older_torch_still_exports_other_models(monkeypatch):
    monkeypatch.setattr(dynamo_patches, "torch_release", lambda: (2, 12))
    x = torch.rand(1, 4, 16, 16)
    boxes = torch.tensor([[1.0, 2.0, 20.0, 24.0], [0.0, 0.0, 31.0, 31.0]])
    proto = ort_roi.export.export(_Pool().eval(), (x, boxes), dynamo=True,
                                  input_names=["x", "boxes"])
    (y,) = run(proto, {"x": x.numpy(), "boxes": boxes.numpy()})
    torch.testing.assert_close(torch.from_numpy(y), _Pool()(x, boxes))


def test_from_2_13_a_detector_is_not_refused(monkeypatch):
    detector = _detector()
    for release in ((2, 13), (2, 14), (3, 0)):
        monkeypatch.setattr(dynamo_patches, "torch_release", lambda: release)
        dynamo_patches.check_torch(detector)  # raises nothing
