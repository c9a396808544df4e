"""Each torchvision op, in a small model, through both exporters: the graph holds
our node with torchvision's arguments as attributes, and ORT gives eager's output.

The run-and-compare tests need the op's kernel in the library; until an op's
kernel is merged its run test fails at session creation (no kernel for the node).
"""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np
import onnx
import pytest
import torch
import torchvision.ops as tvo
from torch import nn

import ort_roi.export.nms
from export_support import EXPORTERS, attributes, export, foreign_ops, only_node, run


def _rois(gen: torch.Generator, k: int, n: int, extent: float) -> torch.Tensor:
    xy = torch.rand(k, 2, generator=gen) * extent * 0.8
    wh = torch.rand(k, 2, generator=gen) * extent * 0.5 + 1
    batch = torch.randint(0, n, (k, 1), generator=gen).float()
    return torch.cat([batch, xy, xy + wh], dim=1)


def _boxes(gen: torch.Generator, n: int) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=gen) * 20
    return torch.cat([xy, xy + torch.rand(n, 2, generator=gen) * 10 + 1], dim=1)


class Model(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


class DeformModel(nn.Module):
    def __init__(self, masked: bool):
        super().__init__()
        torch.manual_seed(0)
        self.conv = tvo.DeformConv2d(4, 6, 3, stride=(1, 2), padding=(1, 2), dilation=(1, 1),
                                     groups=2)
        self.masked = masked

    def forward(self, x, offset, mask):
        return self.conv(x, offset, mask if self.masked else None)


def _cases():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 8, 12, 16, generator=gen)
    rois = _rois(gen, 6, 2, 24.0)
    boxes, scores = _boxes(gen, 40), torch.rand(40, generator=gen)
    scores[5] = scores[6]  # a tie: the lower index goes first
    classes = torch.randint(0, 3, (40,), generator=gen)
    dx = torch.rand(2, 4, 9, 7, generator=gen)
    offset, mask = torch.randn(2, 2 * 9, 9, 5, generator=gen), torch.rand(2, 9, 9, 5, generator=gen)
    return {
        "roi_align": (
            Model(lambda x, r: tvo.roi_align(x, r, (3, 2), 0.5, sampling_ratio=2, aligned=True)),
            {"x": x, "rois": rois}, "RoIAlign",
            dict(output_height=3, output_width=2, spatial_scale=0.5, sampling_ratio=2, aligned=1)),
        "roi_align_adaptive": (
            Model(lambda x, r: tvo.roi_align(x, r, 2, 0.25)),
            {"x": x, "rois": rois}, "RoIAlign",
            dict(output_height=2, output_width=2, spatial_scale=0.25, sampling_ratio=-1, aligned=0)),
        "roi_pool": (
            Model(lambda x, r: tvo.roi_pool(x, r, (2, 3), 0.5)),
            {"x": x, "rois": rois}, "RoIPool",
            dict(output_height=2, output_width=3, spatial_scale=0.5)),
        "ps_roi_align": (
            Model(lambda x, r: tvo.ps_roi_align(x, r, 2, 0.5, sampling_ratio=2)),
            {"x": x, "rois": rois}, "PSRoIAlign",
            dict(output_height=2, output_width=2, spatial_scale=0.5, sampling_ratio=2)),
        "ps_roi_pool": (
            Model(lambda x, r: tvo.ps_roi_pool(x, r, (2, 1), 0.5)),
            {"x": x, "rois": rois}, "PSRoIPool",
            dict(output_height=2, output_width=1, spatial_scale=0.5)),
        "nms": (
            Model(lambda b, s: tvo.nms(b, s, 0.3)),
            {"boxes": boxes, "scores": scores}, "NMS", dict(iou_threshold=0.3)),
        "batched_nms": (
            Model(lambda b, s, i: tvo.batched_nms(b, s, i, 0.3)),
            {"boxes": boxes, "scores": scores, "idxs": classes}, "BatchedNMS",
            dict(iou_threshold=0.3, strategy=b"torchvision", cpu_trick_max_numel=4000,
                 cuda_trick_max_numel=100_000)),
        "deform_conv2d": (
            DeformModel(masked=True), {"x": dx, "offset": offset, "mask": mask}, "DeformConv2d",
            dict(strides=[1, 2], pads=[1, 2, 1, 2], dilations=[1, 1], group=2, offset_group=1)),
        "deform_conv2d_no_mask": (
            DeformModel(masked=False), {"x": dx, "offset": offset, "mask": mask}, "DeformConv2d",
            dict(strides=[1, 2], pads=[1, 2, 1, 2], dilations=[1, 1], group=2, offset_group=1)),
    }


CASES = _cases()


@functools.cache
def exported(case: str, exporter: str):
    model, inputs, _, _ = CASES[case]
    return export(model, tuple(inputs.values()), EXPORTERS[exporter],
                  input_names=list(inputs), output_names=["Y"])


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("case", CASES)
def test_graph_holds_our_node(case, exporter):
    _, inputs, op_type, attrs = CASES[case]
    proto = exported(case, exporter)
    node = only_node(proto, op_type)
    got = attributes(node)
    for name, value in attrs.items():  # float attributes went through float32
        assert got[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert not foreign_ops(proto)
    # The backward-only second outputs of roi_pool and the ps_ ops leave nothing behind.
    assert not {n.op_type for n in proto.graph.node} & {"ConstantOfShape"}
    if case == "deform_conv2d_no_mask":
        assert len(node.input) == 4  # no mask input when torchvision uses none
    # Every output is typed, so downstream tools see its rank and type.
    output = proto.graph.output[0].type.tensor_type
    assert output.elem_type and len(output.shape.dim) == (1 if "nms" in case else 4)


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("case", CASES)
def test_runs_like_eager(case, exporter):
    model, inputs, _, _ = CASES[case]
    with torch.no_grad():
        expected = model(*inputs.values()).numpy()
    (actual,) = run(exported(case, exporter), {k: v.numpy() for k, v in inputs.items()})
    if "nms" in case:
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def _dynamic_rois_options(exporter: str) -> dict:
    if exporter == "dynamo":
        return dict(dynamic_shapes={"args": ({}, {0: torch.export.Dim("K")})})
    return dict(dynamic_axes={"rois": {0: "K"}, "Y": {0: "K"}})


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_number_of_rois_is_dynamic(exporter):
    model, inputs, _, _ = CASES["roi_align"]
    proto = export(model, tuple(inputs.values()), EXPORTERS[exporter], input_names=list(inputs),
                   output_names=["Y"], **_dynamic_rois_options(exporter))
    assert not proto.graph.output[0].type.tensor_type.shape.dim[0].HasField("dim_value")
    gen = torch.Generator().manual_seed(1)
    for k in (1, 9):
        rois = _rois(gen, k, 2, 24.0)
        (actual,) = run(proto, {"x": inputs["x"].numpy(), "rois": rois.numpy()})
        np.testing.assert_allclose(actual, model(inputs["x"], rois).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [10, 1000, 1001, 1500])  # both of torchvision's paths
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batched_nms_op_is_torchvisions_eager_result(n, dtype):
    # Tied scores, so the two paths give different orders and the op must
    # take the one eager torchvision takes at this size.
    gen = torch.Generator().manual_seed(n)
    boxes, scores = _boxes(gen, n).to(dtype), torch.randint(0, 3, (n,), generator=gen).to(dtype)
    classes = torch.randint(0, 5, (n,), generator=gen)
    actual = ort_roi.export.nms.batched_nms(boxes, scores, classes, 0.5)
    assert torch.equal(actual, tvo.batched_nms(boxes, scores, classes, 0.5))


def test_trick_bounds_are_the_installed_torchvisions():
    cpu, cuda = ort_roi.export.nms.trick_bounds()
    for n, bound in ((cpu // 4, cpu), (cuda // 4, cuda)):
        device = "cpu" if bound == cpu else "meta"
        paths = []
        with mock.patch.object(tvo.boxes, "_batched_nms_coordinate_trick",
                               lambda *a: paths.append("trick")), \
             mock.patch.object(tvo.boxes, "_batched_nms_vanilla",
                               lambda *a: paths.append("per class")):
            for count in (n, n + 1):
                tvo.batched_nms(torch.empty(count, 4, device=device),
                                torch.empty(count, device=device),
                                torch.empty(count, dtype=torch.int64, device=device), 0.5)
        assert paths == ["trick", "per class"], (device, bound)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_writes_the_model_it_returns(exporter, tmp_path):
    model, inputs, _, _ = CASES["roi_pool"]
    path = tmp_path / "model.onnx"
    proto = export(model, tuple(inputs.values()), EXPORTERS[exporter], f=path)
    assert onnx.load(path) == proto
