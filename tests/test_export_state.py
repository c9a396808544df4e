"""An export leaves everything as it found it, also when it fails: the user's
model (same module objects, same state) and the exporters' global state
(torchvision's symbolic functions, torchvision's batched_nms)."""

from __future__ import annotations

import io
import sys
from collections import OrderedDict

import onnx

import pytest
import torch
import torchvision
import torchvision.models.detection.roi_heads  # noqa: F401  (hold box_ops)
import torchvision.ops.boxes as tv_boxes
from torch import nn
from torch.onnx._internal.torchscript_exporter import registration
from torchvision.ops import MultiScaleRoIAlign

import ort_roi.export
from export_support import EXPORTERS, our_nodes
from ort_roi.export.table import TABLE

# A copy under a name of this module's own, as user code may hold it.
from torchvision.ops import batched_nms as tv_batched_nms  # noqa: E402,I001

OPSETS = (11, 16, 17, 18, 20)


class Detectorish(nn.Module):
    def __init__(self, fail: bool = False):
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 3, stride=4, padding=1)
        self.heads = nn.ModuleDict({"pool": MultiScaleRoIAlign(["0", "1"], 3, 2)})
        self.fail = fail

    def forward(self, image, boxes, scores, classes):
        f0 = self.backbone(image)
        x = OrderedDict([("0", f0), ("1", f0[:, :, ::2, ::2])])
        pooled = self.heads["pool"](x, [boxes], [tuple(image.shape[-2:])])
        keep = tv_batched_nms(boxes, scores, classes, 0.5)  # this module's own name
        if self.fail:
            raise RuntimeError("boom")
        return pooled[keep].sum(dim=(1, 2, 3))


class Roi(nn.Module):
    def forward(self, image, boxes):
        return torchvision.ops.roi_align(image, [boxes], 2)


def _inputs():
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(6, 2, generator=gen) * 40
    boxes = torch.cat([xy, xy + 8 + torch.rand(6, 2, generator=gen) * 20], dim=1)
    return (torch.rand(1, 3, 64, 64, generator=gen), boxes, torch.rand(6, generator=gen),
            torch.tensor([0, 1, 0, 1, 2, 2]))


def exporter_state() -> dict:
    """What an export could leave changed behind it, by identity."""
    state = {}
    for mapping in TABLE:
        group = registration.registry.get_function_group(mapping.op)
        for opset in OPSETS:
            state[mapping.op, opset] = group and group.get(opset)
    holders = {(name, attr) for name, module in list(sys.modules.items())
               for attr, value in list(getattr(module, "__dict__", {}).items())
               if value is tv_boxes.batched_nms}
    state["batched_nms holders"] = holders
    state["batched_nms"] = tv_boxes.batched_nms
    return state


def model_state(model: nn.Module) -> tuple:
    modules = [(name, id(module)) for name, module in model.named_modules()]
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    pool = model.heads["pool"]
    return modules, tensors, (pool.scales, pool.map_levels), type(pool)


def assert_same_model(before: tuple, after: tuple) -> None:
    assert before[0] == after[0]
    assert before[1].keys() == after[1].keys()
    for key in before[1]:
        assert torch.equal(before[1][key], after[1][key]), key
    assert before[2:] == after[2:]


def test_torchvisions_symbolics_are_in_place_before_any_export():
    # What the comparisons below rely on: torchvision registered its own.
    state = exporter_state()
    assert state["torchvision::roi_align", 17].__name__ == "roi_align_opset16"
    assert {("torchvision.ops", "batched_nms"), ("torchvision.ops.boxes", "batched_nms"),
            (__name__, "tv_batched_nms")} <= state["batched_nms holders"]


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_export_changes_nothing(exporter):
    model = Detectorish().eval()
    before_model, before_exporter = model_state(model), exporter_state()
    proto = ort_roi.export.export(model, _inputs(), dynamo=EXPORTERS[exporter])
    assert {n.op_type for n in our_nodes(proto)} == {"MultiScaleRoIAlign", "BatchedNMS"}
    assert_same_model(before_model, model_state(model))
    assert exporter_state() == before_exporter
    assert model.heads["pool"].scales is None  # torchvision's lazy cache not filled by us


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_failed_export_changes_nothing(exporter):
    model = Detectorish(fail=True).eval()
    before_model, before_exporter = model_state(model), exporter_state()
    with pytest.raises(Exception, match="boom"):
        ort_roi.export.export(model, _inputs(), dynamo=EXPORTERS[exporter])
    assert_same_model(before_model, model_state(model))
    assert exporter_state() == before_exporter


def test_a_symbolic_the_user_registered_at_the_opset_comes_back():
    def mine(g, *args):
        raise AssertionError("not called")

    torch.onnx.register_custom_op_symbolic("torchvision::nms", mine, 17)
    try:
        ort_roi.export.export(Detectorish().eval(), _inputs(), opset=17)
        assert registration.registry.get_function_group("torchvision::nms").get(17) is mine
    finally:
        torch.onnx.unregister_custom_op_symbolic("torchvision::nms", 17)
    assert exporter_state()["torchvision::nms", 17].__name__ == "symbolic_multi_label_nms"


def test_torchvision_export_after_ours_uses_torchvisions_symbolics():
    model = Detectorish().eval()
    ort_roi.export.export(model, _inputs())
    buffer = io.BytesIO()
    roi_model = Roi()
    torch.onnx.export(roi_model, _inputs()[:2], buffer, dynamo=False, opset_version=17)
    ops = {n.op_type for n in onnx.load_from_string(buffer.getvalue()).graph.node}
    assert "RoiAlign" in ops  # ONNX's own, from torchvision's symbolic
