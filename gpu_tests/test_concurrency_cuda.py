"""tests/test_concurrency.py on CUDAExecutionProvider: every op from 8 threads
on one session and from 4 sessions at once, each result bit for bit what the
same kind of session gives one run at a time; host and device memory flat
after the first 100 runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort
import pytest

import all_ops_model
import ort_roi
from concurrency import run_concurrently, run_one_at_a_time

RUNS = 1000  # per thread
INPUT_SETS = all_ops_model.input_sets()
PROBE = Path(__file__).resolve().parents[1] / "tests" / "leak_probe.py"


def cuda_only_session() -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    # Fail rather than quietly run a node on the CPU.
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    return ort_roi.InferenceSession(all_ops_model.model(), so,
                                    providers=["CUDAExecutionProvider"])


@pytest.fixture(scope="module")
def expected():
    return run_one_at_a_time(cuda_only_session(), INPUT_SETS)


def test_eight_threads_share_one_cuda_session(expected):
    shared = cuda_only_session()
    assert not run_concurrently([shared] * 8, INPUT_SETS, expected, RUNS)


def test_four_cuda_sessions_run_at_once(expected):
    sessions = [cuda_only_session() for _ in range(4)]
    assert not run_concurrently(sessions, INPUT_SETS, expected, RUNS)


def test_host_and_device_memory_stay_flat_after_the_first_100_runs():
    """As the CPU test, in a process of its own; the device's memory in use
    (all of it, as the driver reports) grows by less than 1% too."""
    out = subprocess.run([sys.executable, str(PROBE), ort_roi.get_library_path(), "--cuda"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    checkpoints = json.loads(out.stdout)["checkpoints"]
    first, last = checkpoints[0], checkpoints[-1]
    assert first["runs"] == 100 and last["runs"] == 4100
    host = (last["anonymous"] - first["anonymous"]) / first["resident"]
    device = (last["device"] - first["device"]) / first["device"]
    report = ", ".join(f"{c['runs']} runs: {c['resident'] / 2**20:.2f} MiB resident, "
                       f"{c['anonymous'] / 2**20:.2f} MiB anonymous, "
                       f"{c['device'] / 2**20:.2f} MiB on the device" for c in checkpoints)
    print(f"growth after the first 100 runs: host {100 * host:.3f}%, device "
          f"{100 * device:.3f}% ({report})")
    assert host < 0.01, report
    assert device < 0.01, report
