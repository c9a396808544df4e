"""ort-roi check --per-node and --twins: each ort_roi node against its torchvision twin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torchvision
from onnx import TensorProto, helper

from cli_models import EveryOp
from ort_roi import cli
from ort_roi.commands import per_node, twins
from ort_roi.commands.parity import session
from test_cli import ok, ort_roi

OPS = ("MultiScaleRoIAlign", "RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "NMS",
       "BatchedNMS", "DeformConv2d")


@pytest.fixture(scope="module")
def every(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("per_node") / "every.onnx"
    out = ok(ort_roi("export", "cli_models:EveryOp", str(path)))
    assert "ort_roi nodes: " + ", ".join(f"{op} x1" for op in sorted(OPS)) in out
    return path


@pytest.fixture(scope="module")
def every_inputs(every) -> Path:
    path = every.parent / "inputs.npz"
    image, boxes, scores, labels = EveryOp.example_inputs()
    np.savez(path, image=image.numpy(), boxes=boxes.numpy(), scores=scores.numpy(),
             labels=labels.numpy())
    return path


def row(out: str, first: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:1] == [first])


def test_every_node_matches_its_twin_without_the_pytorch_model(every, every_inputs):
    out = ok(ort_roi("check", str(every), "--per-node", "--twins", "--inputs", str(every_inputs)))
    for op in OPS:
        cells = row(out, op)
        assert cells[-1] == "ok", cells
        if op not in ("NMS", "BatchedNMS"):
            assert float(cells[-3]) < 1e-5, cells  # max abs error
    assert "every ort_roi node matches its torchvision twin (8 nodes)" in out
    for i in range(8):
        assert row(out, f"output{i}")[-1] == "ok"
    assert "the twins give the same outputs" in out
    assert "all outputs match" not in out  # no PyTorch model, no comparison with it


def test_per_node_with_torch_also_compares_the_outputs(every):
    out = ok(ort_roi("check", str(every), "--torch", "cli_models:EveryOp", "--per-node"))
    assert "all outputs match" in out
    assert "every ort_roi node matches its torchvision twin (8 nodes)" in out


def test_node_values_are_what_the_nodes_got(every):
    """The captured inputs and outputs of two nodes, against torchvision called here."""
    proto = onnx.load(every)
    image, boxes, scores, labels = (t.numpy() for t in EveryOp.example_inputs())
    inputs = {"image": image, "boxes": boxes, "scores": scores, "labels": labels}
    values = per_node.node_values(proto, inputs)
    outputs = session(str(every)).run(None, inputs)

    align = next(n for n in proto.graph.node if n.op_type == "RoIAlign")
    x, rois = (torch.from_numpy(values[name]) for name in align.input)
    assert torch.equal(rois[:, 1:], torch.from_numpy(boxes))
    expected = torchvision.ops.roi_align(x, rois, 3, 0.5, 2, aligned=True)
    np.testing.assert_allclose(values[align.output[0]], expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(values[align.output[0]], outputs[1])

    nms = next(n for n in proto.graph.node if n.op_type == "NMS")
    keep = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), 0.5)
    np.testing.assert_array_equal(values[nms.output[0]], keep.numpy())


def test_a_node_made_to_diverge_is_named(every, every_inputs, monkeypatch, capsys):
    """RoIAlign's twin made to sample one point more per bin side than the
    node's sampling_ratio says, as a kernel that misread the attribute would
    (in this process, so the twin can be swapped): only that node is off, and
    only its output changes with twins."""
    align = next(n for n in onnx.load(every).graph.node if n.op_type == "RoIAlign")
    honest = twins.TWINS["RoIAlign"]

    def finer(inputs, attrs):
        return honest.run(inputs, {**attrs, "sampling_ratio": attrs["sampling_ratio"] + 1})

    monkeypatch.setitem(twins.TWINS, "RoIAlign", twins.Twin(finer))
    code = cli.main(["check", str(every), "--per-node", "--twins", "--inputs", str(every_inputs)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"first node off, in graph order: RoIAlign '{align.name}' (1 of 8 nodes off)" in out
    assert row(out, "RoIAlign")[-1] == "off"
    assert all(row(out, op)[-1] == "ok" for op in OPS if op != "RoIAlign")
    changed = align.output[0]
    assert row(out, changed)[-1] == "DIFFERENT"
    assert all(row(out, f"output{i}")[-1] == "ok" for i in range(8) if f"output{i}" != changed)
    assert f"the twins change {changed}" in out


def test_a_mistyped_attribute_is_noted_for_the_twin():
    """ORT's kernels refuse a float sampling_ratio (as helper.make_attribute
    makes it from 2.0); the twin takes it as the int the schema says, and
    says so."""
    node = helper.make_node("RoIAlign", ["x", "r"], ["y"], domain="ort_roi", output_height=2,
                            output_width=2, sampling_ratio=2.0)
    attrs, notes = twins.attributes(node)
    assert attrs["sampling_ratio"] == 2
    assert notes == ["attribute 'sampling_ratio' is FLOAT, the schema says INT: the twin takes "
                     "it as 2"]


def _hand_made(path: Path) -> dict[str, np.ndarray]:
    """float16 RoIAlign, MultiScaleRoIAlign, NMS and BatchedNMS; float64
    RoIPool and DeformConv2d with uneven pads and a mask but no bias."""
    f16, f64 = TensorProto.FLOAT16, TensorProto.DOUBLE
    node = lambda op, ins, out, **attrs: helper.make_node(  # noqa: E731
        op, ins, [out], name=f"my_{op}", domain="ort_roi", **attrs)
    nodes = [
        node("RoIAlign", ["x", "rois"], "aligned", output_height=2, output_width=2,
             spatial_scale=0.5, sampling_ratio=2),
        node("MultiScaleRoIAlign", ["rois", "x", "x_coarse"], "pooled", output_height=2,
             output_width=2, spatial_scales=[0.5, 0.25], canonical_scale=8, canonical_level=2),
        node("NMS", ["boxes", "scores"], "keep", iou_threshold=0.3),
        node("BatchedNMS", ["boxes", "scores", "classes"], "batched_keep", iou_threshold=0.3),
        node("RoIPool", ["x64", "rois64"], "maxed", output_height=2, output_width=3,
             spatial_scale=0.5),
        node("DeformConv2d", ["x64", "w", "offset", "", "mask"], "deformed", pads=[1, 0, 2, 1]),
    ]
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes, "hand_made",
        [value("x", f16, [1, 4, 16, 16]), value("x_coarse", f16, [1, 4, 8, 8]),
         value("rois", f16, [6, 5]), value("boxes", f16, [6, 4]), value("scores", f16, [6]),
         value("classes", TensorProto.INT64, [6]), value("x64", f64, [1, 2, 16, 16]),
         value("rois64", f64, [6, 5]), value("w", f64, [3, 2, 3, 3]),
         value("offset", f64, [1, 18, 17, 15]), value("mask", f64, [1, 9, 17, 15])],
        [value("aligned", f16, None), value("pooled", f16, None),
         value("keep", TensorProto.INT64, None), value("batched_keep", TensorProto.INT64, None),
         value("maxed", f64, None), value("deformed", f64, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)])
    onnx.save(model, path)

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 20, (6, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(2, 14, (6, 2))], 1)
    rois = np.concatenate([np.zeros((6, 1)), boxes], 1)
    return {"x": rng.random((1, 4, 16, 16)).astype(np.float16),
            "x_coarse": rng.random((1, 4, 8, 8)).astype(np.float16),
            "rois": rois.astype(np.float16), "boxes": boxes.astype(np.float16),
            "scores": rng.random(6).astype(np.float16), "classes": rng.integers(0, 2, 6),
            "x64": rng.random((1, 2, 16, 16)), "rois64": rois, "w": rng.random((3, 2, 3, 3)),
            "offset": rng.normal(0, 2, (1, 18, 17, 15)), "mask": rng.random((1, 9, 17, 15))}


def test_float16_and_float64_nodes(tmp_path):
    model, inputs = tmp_path / "hand_made.onnx", tmp_path / "hand_made.npz"
    np.savez(inputs, **_hand_made(model))
    out = ok(ort_roi("check", str(model), "--per-node", "--twins", "--inputs", str(inputs)))
    types = {"RoIAlign": "float16", "MultiScaleRoIAlign": "float16", "NMS": "float16",
             "BatchedNMS": "float16", "RoIPool": "float64", "DeformConv2d": "float64"}
    for op, dtype in types.items():
        cells = row(out, op)
        assert cells[1:3] == [f"my_{op}", dtype] and cells[-1] == "ok", cells
    assert "float16 nodes rtol 0.01" in out
    assert "every ort_roi node matches its torchvision twin (6 nodes)" in out
    for name in ("aligned", "pooled", "keep", "batched_keep", "maxed", "deformed"):
        assert row(out, name)[-1] == "ok", name
    assert "the twins give the same outputs" in out


def test_a_model_without_our_nodes_is_refused(tmp_path, capsys):
    value = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "plain",
                              [value("x", TensorProto.FLOAT, [2])],
                              [value("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    # In this process: the error comes before anything runs, with an error's status.
    for mode in ("--per-node", "--twins"):
        assert cli.main(["check", str(path), mode]) == 2
        assert "the model has no ort_roi nodes (domain 'ort_roi')" in capsys.readouterr().err
    assert cli.main(["check", str(path)]) == 2
    assert "check needs --torch MODEL_SPEC" in capsys.readouterr().err


def test_attributes_take_the_schema_defaults():
    node = helper.make_node("BatchedNMS", ["b", "s", "i"], ["k"], domain="ort_roi",
                            iou_threshold=0.3)
    attrs, notes = twins.attributes(node)
    assert attrs == {"iou_threshold": pytest.approx(0.3), "strategy": "torchvision",
                     "cpu_trick_max_numel": 4000, "cuda_trick_max_numel": 100000}
    assert notes == []
    assert twins.shortest_decimal(attrs["iou_threshold"]) == 0.3
    with pytest.raises(ValueError, match=r"lacks required attribute\(s\) \['iou_threshold'\]"):
        twins.attributes(helper.make_node("NMS", ["b", "s"], ["k"], domain="ort_roi"))
