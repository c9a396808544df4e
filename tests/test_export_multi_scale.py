"""MultiScaleRoIAlign modules export as one MultiScaleRoIAlign node, through
both exporters, with no per-level routing (NonZero, ScatterElements, Where)."""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.ops import MultiScaleRoIAlign

from export_support import EXPORTERS, attributes, export, foreign_ops, only_node, run
from ort_roi.export.multi_scale import FusedMultiScaleRoIAlign

IMAGE_SIZES = [(512, 512), (480, 500)]  # torchvision infers scales from the largest


class Pooler(nn.Module):
    """The box head's input in torchvision's FPN detectors, in miniature."""

    def __init__(self, names=("0", "1", "2", "3"), sampling_ratio=2):
        super().__init__()
        self.pool = MultiScaleRoIAlign(list(names), (7, 5), sampling_ratio)

    def forward(self, f0, f1, f2, f3, boxes0, boxes1):
        # "pool" is there in torchvision's FPN and is filtered out by featmap_names.
        x = OrderedDict([("0", f0), ("1", f1), ("2", f2), ("3", f3), ("pool", f3[:, :, ::2])])
        return self.pool(x, [boxes0, boxes1], IMAGE_SIZES)


def _boxes(gen: torch.Generator, n: int) -> torch.Tensor:
    # sqrt(area) from 4 to ~500: every level from 2 (stride 4) to 5 (stride 32) is used.
    side = torch.exp(torch.empty(n, 2).uniform_(np.log(4), np.log(500), generator=gen))
    xy = torch.rand(n, 2, generator=gen) * 300
    boxes = torch.cat([xy, xy + side], dim=1)
    boxes[0] = torch.tensor([10.0, 10.0, 10.0, 30.0])  # zero area: the lowest level
    return boxes


def _inputs() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    maps = {f"f{i}": torch.rand(2, 4, 128 >> i, 128 >> i, generator=gen) for i in range(4)}
    return {**maps, "boxes0": _boxes(gen, 12), "boxes1": _boxes(gen, 7)}


INPUTS = _inputs()


@functools.cache
def exported(exporter: str):
    return export(Pooler().eval(), tuple(INPUTS.values()), EXPORTERS[exporter],
                  input_names=list(INPUTS), output_names=["Y"])


def test_fused_module_matches_torchvisions():
    model = Pooler()
    expected = model(*INPUTS.values())
    assert model.pool.scales is not None  # torchvision cached them on first use
    fused = FusedMultiScaleRoIAlign(model.pool)
    model.pool = fused
    torch.testing.assert_close(model(*INPUTS.values()), expected, rtol=0, atol=0)


def test_fused_single_level_matches_torchvisions():
    model = Pooler(names=("2",), sampling_ratio=-1)
    expected = model(*INPUTS.values())
    model.pool = FusedMultiScaleRoIAlign(model.pool)
    torch.testing.assert_close(model(*INPUTS.values()), expected, rtol=0, atol=0)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_graph_holds_one_node_and_no_routing(exporter):
    proto = exported(exporter)
    node = only_node(proto, "MultiScaleRoIAlign")
    assert attributes(node) == dict(
        output_height=7, output_width=5, sampling_ratio=2,
        spatial_scales=[0.25, 0.125, 0.0625, 0.03125],
        canonical_scale=224, canonical_level=4, aligned=0)
    assert list(node.input[1:]) == ["f0", "f1", "f2", "f3"]  # finest first, rois before
    assert not foreign_ops(proto)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims[1:]] == [4, 7, 5]


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_single_level_exports_as_roi_align(exporter):
    inputs = dict(INPUTS)
    proto = export(Pooler(names=("1",)), tuple(inputs.values()), EXPORTERS[exporter],
                   input_names=list(inputs), output_names=["Y"])
    node = only_node(proto, "RoIAlign")
    assert attributes(node)["spatial_scale"] == 0.125
    (actual,) = run(proto, {k: v.numpy() for k, v in inputs.items()})
    expected = Pooler(names=("1",))(*inputs.values()).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_runs_like_eager(exporter):
    expected = Pooler()(*INPUTS.values()).numpy()
    (actual,) = run(exported(exporter), {k: v.numpy() for k, v in INPUTS.items()})
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_uses_scales_the_module_cached(exporter):
    model = Pooler()
    model.pool.scales = [0.5, 0.25, 0.125, 0.0625]  # as if cached from other images
    proto = export(model, tuple(INPUTS.values()), EXPORTERS[exporter])
    node = only_node(proto, "MultiScaleRoIAlign")
    assert attributes(node)["spatial_scales"] == [0.5, 0.25, 0.125, 0.0625]
