"""ort-roi bench --quick, run as a user runs it: every row and peer is there, with
numbers, and ort_roi's output was checked against torchvision's. No time is asserted:
the figures of a quick run on a shared machine say nothing about speed."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Rows of a quick run and the peers each must have timed. OpenVINO is a test
# dependency: if it is missing, its columns say "not installed" and this fails.
TIMED = {
    "roi_align_box": {"torchvision", "onnxruntime", "openvino"},
    "roi_align_mask": {"torchvision", "onnxruntime", "openvino"},
    "roi_align_aligned": {"torchvision", "onnxruntime", "openvino"},
    "multi_scale_box": {"torchvision", "onnxruntime", "openvino"},
    "multi_scale_mask": {"torchvision", "onnxruntime", "openvino"},
    "ps_roi_align": {"torchvision"},
    "ps_roi_pool": {"torchvision", "openvino"},
    "roi_pool": {"torchvision", "onnxruntime", "openvino"},
    "roi_pool_fast_rcnn": {"torchvision", "onnxruntime", "openvino"},
    **{f"{op}_{n}k": {"torchvision", "onnxruntime", "openvino"}
       for op in ("nms", "batched_nms") for n in (1, 5, 20)},
    "deform_conv_256": {"torchvision", "onnxruntime", "openvino"},
    "deform_conv_512": {"torchvision", "onnxruntime", "openvino"},
    "deform_conv_256_no_mask": {"torchvision", "onnxruntime", "openvino"},
    "conv_ref_256": {"onnxruntime"},
    "conv_ref_512": {"onnxruntime"},
}


def bench(*options: str, **env: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "ort_roi.cli", "bench", "--quick", *options],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    files = {kind: out / f"bench.{kind}" for kind in ("json", "md", "png")}
    run = bench("--json", str(files["json"]), "--markdown", str(files["md"]),
                "--png", str(files["png"]))
    return run, files


@pytest.mark.parametrize("module", ["openvino", "matplotlib"])
def test_the_bench_peers_are_installed(module):
    # Declared in the test extra: a missing one is a broken install, not a skip.
    importlib.import_module(module)


def test_every_row_has_numbers_ratios_and_a_parity_check(quick):
    _, files = quick
    result = json.loads(files["json"].read_text())
    assert result["meta"]["threads"] == 2 and result["meta"]["quick"]
    assert "OpenVINO INFERENCE_NUM_THREADS 2" in result["meta"]["threads_text"]
    # which of the kernels' vector levels ran (kernels/common/cpu_isa.h)
    assert re.search(r"vector level (avx512|avx2|scalar)", result["meta"]["versions"])
    rows = {r["id"]: r for r in result["rows"]}
    assert list(rows) == list(TIMED)  # Mask R-CNN is left out of --quick
    for row_id, expected in TIMED.items():
        row = rows[row_id]
        assert row["ort_roi_ms"] > 0, row
        assert row["check"]["ok"], row["check"]
        timed = {p["column"]: p for p in row["peers"] if p["status"] == "timed"}
        assert set(timed) == expected, (row_id, row["peers"])
        for p in timed.values():
            assert p["ms"] > 0 and p["ratio"] > 0
            assert np.isclose(p["ratio"], p["ms"] / row["ort_roi_ms"])
        for p in row["peers"]:
            if p["status"] != "timed":
                assert p["reason"], p  # a peer not timed says why


def test_index_outputs_are_compared_exactly_and_peers_recorded(quick):
    _, files = quick
    rows = {r["id"]: r for r in json.loads(files["json"].read_text())["rows"]}
    assert rows["nms_1k"]["check"]["detail"].startswith("same ")
    # ORT's and OpenVINO's NMS keep the same boxes as torchvision once in score order
    peers = [p for p in rows["batched_nms_5k"]["peers"] if p["column"] != "torchvision"]
    assert len(peers) == 2 and all(p["vs_torchvision"]["ok"] for p in peers), peers
    # OpenVINO's PSROIPooling rounds differently; the note says so, the run goes on
    (ov,) = [p for p in rows["ps_roi_pool"]["peers"] if p["column"] == "openvino"]
    assert "vs_torchvision" in ov and ov["note"]


def test_markdown_table_and_chart(quick):
    run, files = quick
    text = files["md"].read_text()
    assert text == run.stdout
    assert "Ratio = the peer's median / ort_roi's median" in text
    assert "| workload | inputs | ort_roi | torchvision | ONNX Runtime | OpenVINO CPU |" in text
    table = [ln for ln in text.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(table) == 1 + len(TIMED)
    assert all(ln.count(" | ") == 6 for ln in table)  # no cell broke the columns
    assert "MISMATCH" not in text
    assert f"[{len(TIMED)}/{len(TIMED)}] conv_ref_512" in run.stderr  # progress went to stderr
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_picks_rows_and_families():
    from ort_roi.bench import specs
    from ort_roi.commands.bench import select

    every = specs()
    assert [s.id for s in select(every, ["nms"], True)] == ["nms_1k", "nms_5k", "nms_20k"]
    assert [s.id for s in select(every, ["roi_pool,mask_rcnn"], True)] == ["roi_pool", "mask_rcnn"]
    assert [s.id for s in select(every, ["roi_align"], True)] == [
        "roi_align_box", "roi_align_mask", "roi_align_aligned"]
    assert "mask_rcnn" in [s.id for s in select(every, None, False)]
    with pytest.raises(SystemExit, match="no row named roi_nothing"):
        select(every, ["roi_nothing"], False)


def test_short_calls_run_once_untimed_before_each_timed_run():
    import time
    from ort_roi.bench.timing import medians_in_turn

    counts = {"short": 0, "long": 0}

    def short():
        counts["short"] += 1

    def long():
        counts["long"] += 1
        time.sleep(0.03)

    medians = medians_in_turn({"short": short, "long": long}, repeat=3, warmup=1, pause=0,
                              rewarm_below=0.02)
    assert counts == {"short": 1 + 2 * 3, "long": 1 + 3}
    assert set(medians) == {"short", "long"}
    counts.update(short=0, long=0)
    medians_in_turn({"short": short, "long": long}, repeat=3, warmup=1, pause=0)
    assert counts == {"short": 4, "long": 4}  # off by default


def test_profile_share_of_our_nodes():
    # Mask R-CNN's figure, on a model that is one ort_roi node: nearly all of the run.
    from ort_roi.bench.mask_rcnn import profile_share
    from ort_roi.bench.runtimes import Runtimes, one_node

    rng = np.random.default_rng(0)
    feeds = {"X": rng.standard_normal((1, 8, 32, 32), dtype=np.float32),
             "rois": np.array([[0, 1, 1, 20, 20], [0, 4, 2, 30, 9]], np.float32)}
    model = one_node("RoIAlign", feeds, domain="ort_roi", output_height=7, output_width=7)
    share, ours_ms, run_ms = profile_share(Runtimes(1), model, feeds, {"node"})
    assert share == 0 and run_ms > 0  # no node of that name
    import onnx
    name = onnx.load_from_string(model).graph.node[0].name
    share, ours_ms, run_ms = profile_share(Runtimes(1), model, feeds, {name})
    assert 0 < share <= 1 and 0 < ours_ms <= run_ms


def test_dtypes_cpu_time_no_spin_and_isa_cap(tmp_path):
    out = tmp_path / "bench.json"
    run = bench("--only", "roi_align_box,deform_conv_256_no_mask,nms_1k", "--dtype", "float16",
                "--dtype", "float64", "--cpu-time", "--no-spin", "--json", str(out),
                ORT_ROI_ISA="scalar")
    result = json.loads(out.read_text())
    meta = result["meta"]
    assert meta["dtypes"] == ["float16", "float64"] and meta["cpu_time"]
    assert meta["idle_threads"].startswith("sleep")
    assert "--dtype float16 --dtype float64 --cpu-time --no-spin" in meta["command"]
    assert "vector level scalar (ORT_ROI_ISA=scalar)" in meta["versions"]
    rows = {r["id"]: r for r in result["rows"]}
    assert "dtypes" not in rows["nms_1k"]  # index outputs: no float16 run
    for row_id in ("roi_align_box", "deform_conv_256_no_mask"):
        row = rows[row_id]
        assert set(row["dtypes"]) == {"float16", "float64"}
        for d in row["dtypes"].values():
            assert d["status"] == "timed" and d["check"]["ok"], d
            assert np.isclose(d["ratio"], d["ms"] / row["ort_roi_ms"])
    for row in rows.values():
        assert row["ort_roi_cpu_ms"] > 0
        for p in row["peers"]:
            assert p["cpu_ms"] > 0
            assert np.isclose(p["cpu_ratio"], p["cpu_ms"] / row["ort_roi_cpu_ms"])
    assert "| ort_roi float16 | ort_roi float64 | ort_roi vs torchvision |" in run.stdout
    assert "Process CPU time per call" in run.stdout


def test_no_spin_sets_omp_wait_policy_before_torch_loads():
    # libgomp reads OMP_WAIT_POLICY once, when torch loads it: record its value at
    # torch's first import during `ort-roi bench --no-spin --list`.
    probe = """if True:
        import builtins, os, sys
        seen, real_import = [], builtins.__import__

        def watch(name, *args, **kwargs):
            if name == "torch" and "torch" not in sys.modules and not seen:
                seen.append(os.environ.get("OMP_WAIT_POLICY"))
            return real_import(name, *args, **kwargs)

        builtins.__import__ = watch
        from ort_roi.cli import main
        main(["bench", "--no-spin", "--list"])
        print("policy at torch's import:", seen)"""
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert "policy at torch's import: ['PASSIVE']" in run.stdout, run.stdout + run.stderr


def test_no_spin_sessions_and_a_dtype_run_that_is_off():
    from ort_roi.bench.case import Case
    from ort_roi.bench.runtimes import Run, Runtimes, one_node
    from ort_roi.bench.timing import Progress
    from ort_roi.commands.bench import _in_dtypes

    feeds = {"X": np.zeros((1, 1, 4, 4), np.float32), "rois": np.zeros((1, 5), np.float32)}
    model = one_node("RoIAlign", feeds, domain="ort_roi", output_height=2, output_width=2)
    options = Runtimes(1, spin=False).session(model, ours=True).get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"

    def in_dtype(dtype):
        if dtype == np.float64:
            raise ValueError("no float64 here")
        return Run(lambda: [np.ones(3)], list), Run(lambda: [np.zeros(3)], list)

    case = Case("", None, None, None, in_dtype=in_dtype)
    calls = {}
    entries = _in_dtypes(case, ["float16", "float64"], calls, Progress(1, open(os.devnull, "w")))
    assert not entries["ort_roi float16"]["check"]["ok"] and list(calls) == ["ort_roi float16"]
    assert entries["ort_roi float64"] == {"status": "fails",
                                          "reason": "ValueError: no float64 here"}
