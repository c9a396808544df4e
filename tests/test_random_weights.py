"""Random weights for export/models.py's detectors: the calibration passes
of spread_scores and _calibrate_norms end as soon as they have computed what
they read (Faster R-CNN v2's build: 30 s -> 17 s on two cores); that must
leave every weight as the whole passes do, bit for bit."""

from __future__ import annotations

import pytest
import torch

from ort_roi.export import models


def weights(name: str) -> dict[str, torch.Tensor]:
    return models.build_detector(name, min_size=256, max_size=384, seed=3).state_dict()


# The cheapest two-stage detector (its box classifier re-drawn, its heads
# idled) and a one-stage one (batch norms only).
@pytest.mark.parametrize("name", ["fasterrcnn_mobilenet_v3_large_fpn", "retinanet_resnet50_fpn"])
def test_passes_ended_early_give_the_weights_of_whole_passes(name, monkeypatch):
    early = weights(name)
    monkeypatch.setattr(models, "END_PASSES_EARLY", False)
    whole = weights(name)
    assert early.keys() == whole.keys()
    differing = [k for k in early if not torch.equal(early[k], whole[k])]
    assert not differing, differing
    # Something was calibrated at all: batch norms no longer at their defaults.
    assert any(k.endswith("running_var") and not torch.all(v == 1) for k, v in early.items())
