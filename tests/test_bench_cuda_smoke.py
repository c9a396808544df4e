"""benchmarks/bench_cuda.py --smoke: every path of the CUDA benchmark runs, on the CPU
with tiny shapes, so that the script works when a GPU machine first runs it. Its
table and JSON name every workload and runtime; no time is asserted."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# workload -> ONNX Runtime's built-in peer (timed, or skipped with a reason), if any
WORKLOADS = {
    "RoIAlign": "onnxruntime RoiAlign",
    "PSRoIAlign": None,
    "MultiScaleRoIAlign": None,
    "NMS": "onnxruntime NonMaxSuppression",
    "BatchedNMS": "onnxruntime NonMaxSuppression",
    "DeformConv2d": "onnxruntime DeformConv",
    "MaskRCNN": "torchvision's standard export",  # end to end; "torchvision" is eager
}
# workload -> (the peer a target is set against, the ratio)
TARGETS = {"RoIAlign": ("torchvision", 2), "PSRoIAlign": ("torchvision", 2),
           "MultiScaleRoIAlign": ("torchvision", 5), "NMS": ("torchvision", 1),
           "DeformConv2d": ("torchvision", 1), "MaskRCNN": ("torchvision's standard export", 1)}


def test_smoke_run_lists_every_workload(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, "benchmarks/bench_cuda.py", "--smoke", "--json", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    table = run.stdout[run.stdout.index("case "):].splitlines()
    result = json.loads(out.read_text())
    assert result["device"] == "cpu" and result["smoke"]
    timed = {(r["workload"], r["runtime"]) for r in result["rows"]}
    skipped = {(s["workload"], s["runtime"]) for s in result["skipped"]}
    for workload, peer in WORKLOADS.items():
        rows = [line.split() for line in table if line.split()[0] == workload]
        assert {"ort_roi", "torchvision"} <= {r[1] for r in rows}, (workload, table)
        assert {(workload, "ort_roi"), (workload, "torchvision")} <= timed
        if peer is not None:  # timed where this ORT has a kernel, else skipped with a reason
            assert ((workload, peer) in timed) != ((workload, peer) in skipped), workload
        assert result["matches_torchvision"][workload]["ok"], result["matches_torchvision"]
    for r in result["rows"]:
        assert r["median_ms"] > 0
        if r["workload"] in TARGETS and r["runtime"] == TARGETS[r["workload"]][0]:
            # judged on a GPU only
            assert (r["target"], r["target_met"]) == (TARGETS[r["workload"]][1], None)
    for workload, (peer, target) in TARGETS.items():
        assert any(line.startswith(workload) and peer in line and f"target >= {target}x" in line
                   for line in table), workload


def test_only_runs_the_workloads_named(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, "benchmarks/bench_cuda.py", "--smoke", "--only", "NMS,RoIAlign",
               "--json", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {r["workload"] for r in json.loads(out.read_text())["rows"]} == {"NMS", "RoIAlign"}
    assert "[1/2] NMS" in run.stdout and "[2/2] RoIAlign" in run.stdout
    bad = subprocess.run([sys.executable, "benchmarks/bench_cuda.py", "--smoke", "--only", "Nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "no workload named Nope" in bad.stderr
