"""Helpers for the export tests: export once per (model, exporter), run in ORT."""

from __future__ import annotations

import fcntl
import functools
import os
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort
import torch

import ort_roi
import ort_roi.export

EXPORTERS = {"torchscript": False, "dynamo": True}

# The detectors' builder options in the detector tests, for CPU time: small
# transform sizes, and 300 proposals an image into a two-stage detector's box
# head where torchvision takes 1,000 (the heads on 1,000 proposals were most
# of every run: Faster R-CNN v2's eager pass 4.2 s -> 1.3 s on two cores). The
# graph is the same, with another constant.
SIZE = dict(min_size=256, max_size=384)
TWO_STAGE_SIZE = dict(SIZE, rpn_post_nms_top_n_test=300)

# What torchvision's own export path would leave for routing rois to levels or
# for the ops ONNX has built in: none of it may appear once ours are mapped.
FOREIGN_OPS = {"NonZero", "ScatterElements", "ScatterND", "Where", "RoiAlign",
               "MaxRoiPool", "NonMaxSuppression", "DeformConv", "Loop", "If"}


# Documented in test_export_detectors.py: (rtol, atol) per detector output;
# labels and keypoint visibility exact, keypoint positions as boxes.
TOLERANCES = {"boxes": (1e-4, 1e-3), "scores": (0, 1e-4), "masks": (0, 1e-3),
              "keypoints": (1e-4, 1e-3), "keypoints_scores": (1e-4, 1e-3)}


def one_detector_at_a_time(function):
    """functools.cache for a function whose first argument is a detector's
    name, keeping one detector's results: a worker runs one detector's tests
    after another (conftest.work_unit), and every detector's models, exports
    and sessions kept at once grew a worker past 9 GB, two of them and their
    subprocesses past the 24 GB of a CI machine, whose kernel then killed one."""
    kept: dict = {}

    @functools.wraps(function)
    def cached(name, *args):
        key = (name, *args)
        if key not in kept:
            if any(k[0] != name for k in kept):
                kept.clear()
            kept[key] = function(name, *args)
        return kept[key]

    return cached


def shared_by_workers(key: str, compute: Callable[[], bytes]) -> bytes:
    """compute() once per test run, in whichever pytest-xdist worker asks
    first; a worker asking meanwhile waits for it, and later ones read its
    file (conftest.py names the run's folder in ORT_ROI_TEST_SHARED; without
    one, every caller computes)."""
    folder = os.environ.get("ORT_ROI_TEST_SHARED")
    if not folder:
        return compute()
    path = Path(folder) / key
    with open(path.with_name(key + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if path.exists():
            return path.read_bytes()
        data = compute()
        partial = path.with_name(key + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
        return data


def mismatches(names: list[str], actual: list[np.ndarray],
               expected: list[np.ndarray]) -> list[str]:
    """Detector outputs compared row by row (detection i with detection i, no
    pairing of near ties): one line per output that differs, none if all match."""
    found = []
    for name, got, want in zip(names, actual, expected, strict=True):
        if got.shape != want.shape or got.dtype != want.dtype:
            found.append(f"{name}: {got.dtype} {list(got.shape)}, eager {want.dtype} "
                         f"{list(want.shape)}")
            continue
        if name == "labels":
            close = got == want
        elif name == "keypoints":
            rtol, atol = TOLERANCES[name]
            close = np.isclose(got, want, rtol=rtol, atol=atol)
            close[..., 2] = got[..., 2] == want[..., 2]  # visibility
        else:
            rtol, atol = TOLERANCES[name]
            close = np.isclose(got, want, rtol=rtol, atol=atol)
        rows = np.flatnonzero(~close.reshape(len(want), -1).all(axis=1))
        if rows.size:
            worst = np.abs(got.astype(np.float64) - want).max()
            found.append(f"{name}: rows {rows[:8].tolist()} of {len(want)} differ "
                         f"(max |difference| {worst:.3g})")
    return found


def export(model: torch.nn.Module, args: tuple, dynamo: bool, **options) -> onnx.ModelProto:
    return ort_roi.export.export(model, args, dynamo=dynamo, **options)


def our_nodes(proto: onnx.ModelProto) -> list[onnx.NodeProto]:
    return [n for n in proto.graph.node if n.domain == ort_roi.DOMAIN]


def only_node(proto: onnx.ModelProto, op_type: str) -> onnx.NodeProto:
    nodes = our_nodes(proto)
    assert [n.op_type for n in nodes] == [op_type], [n.op_type for n in proto.graph.node]
    return nodes[0]


def attributes(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def foreign_ops(proto: onnx.ModelProto) -> set[str]:
    return {n.op_type for n in proto.graph.node if n.domain in ("", "ai.onnx")} & FOREIGN_OPS


def run(proto: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return run_session(ort_roi.InferenceSession(proto.SerializeToString(), so), inputs)


def run_session(session: ort.InferenceSession, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    # An exporter may drop an input the graph does not read (or keep it).
    wanted = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in inputs.items() if k in wanted})
