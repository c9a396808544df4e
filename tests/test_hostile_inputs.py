"""The hostile-input matrix (hostile_cases.py): every case, run in its own
forked child by hostile_worker.py, gives its documented result, never a
crash or a hang; and docs/hostile-inputs.md is the table of those results."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

import hostile_cases
from hostile_cases import CASES, Finite, Output, Refused

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """Every case's result, from one worker process that forks a child per case."""
    path = tmp_path_factory.mktemp("hostile") / "results.pkl"
    subprocess.run([sys.executable, str(HERE / "hostile_worker.py"), str(path)], check=True,
                   timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    with open(path, "rb") as f:
        return pickle.load(f)


def _reference(case) -> np.ndarray:
    """What torchvision gives for a case whose output it defines (never one
    with NaN rois: torchvision's ps_roi_align crashes on them)."""
    t = {k: torch.from_numpy(v) for k, v in case.inputs.items() if not isinstance(v, str)}
    a = case.attrs
    if case.expect.reference == "roi_align on X_0":
        return torchvision.ops.roi_align(t["X_0"], t["rois"], (a["output_height"], a["output_width"]),
                                         a["spatial_scales"][0]).numpy()
    if case.expect.reference == "nms":
        return torchvision.ops.nms(t["boxes"], t["scores"], a["iou_threshold"]).numpy()
    if case.expect.reference == "batched_nms":
        return torchvision.ops.batched_nms(t["boxes"], t["scores"], t["idxs"],
                                           a["iou_threshold"]).numpy()
    if case.expect.reference == "deform_conv2d":
        return torchvision.ops.deform_conv2d(t["X"], t["offset"], t["W"], t.get("B"),
                                             mask=t.get("mask")).numpy()
    raise AssertionError(f"no reference {case.expect.reference!r}")


def our_message(case, text: str) -> str:
    """The op's own message inside ORT's error text."""
    start = text.find(f"{case.op}: ")
    return text[start:].strip() if start >= 0 else text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, results):
    got = results[case.id]
    assert got["stage"] in ("ok", "create", "run"), f"{case.id}: {got}"  # no crash, no hang
    expect = case.expect
    if isinstance(expect, Refused):
        assert got["stage"] != "ok", f"{case.id} gave an output {got['output'].shape}"
        # A bad attribute fails the kernel's creation (ORT reports it as
        # RUNTIME_EXCEPTION), anything else the run, as INVALID_ARGUMENT.
        stage, code = ("create", "RUNTIME_EXCEPTION") if expect.at_creation else ("run", "INVALID_ARGUMENT")
        assert (got["stage"], got["code"]) == (stage, code), got["text"]
        assert our_message(case, got["text"]) == expect.message
        return
    assert got["stage"] == "ok", got["text"]
    y = got["output"]
    if isinstance(expect, Finite):
        assert y.shape == expect.shape and np.isfinite(y).all()
        return
    assert isinstance(expect, Output)
    if expect.reference:
        np.testing.assert_array_equal(y, _reference(case))
    if expect.expected is not None:
        assert y.dtype == expect.expected.dtype
        np.testing.assert_array_equal(y, expect.expected)


def _segfault(case):
    import ctypes

    ctypes.string_at(0)  # reads address 0


def _abort(case):
    os.abort()


def _hang(case):
    time.sleep(60)


# Under make test-sanitize, AddressSanitizer would report the deliberate
# fault as a finding (and take its time to): that case is left out there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.parametrize("run, stage", [
    pytest.param(_segfault, "crash", marks=pytest.mark.skipif(UNDER_ASAN, reason="ASan reports it")),
    (_abort, "crash"), (_hang, "hang")])
def test_the_worker_catches_crashes_and_hangs(run, stage):
    """The worker's child dies or hangs alone, and says so, as a case of the
    matrix would (in_child forks from this process; the child touches no
    session)."""
    import hostile_worker

    got = hostile_worker.in_child(CASES[0], run=run, timeout_s=1.0)
    assert got["stage"] == stage, got


def test_the_doc_is_the_case_list():
    """docs/hostile-inputs.md is what `python tests/hostile_cases.py` writes."""
    assert hostile_cases.DOC.read_text() == hostile_cases.doc(), (
        "docs/hostile-inputs.md is stale: run `python tests/hostile_cases.py`")
