"""tests/test_concurrency.py on CUDAExecutionProvider: every op from 8 threads
on one session and from 4 sessions at once, each result bit for bit what the
same kind of session gives one run at a time; host and device memory flat
after the first 100 runs."""

from __future__ import annotations

import onnxruntime as ort
import pytest

import all_ops_model
import ort_roi
from concurrency import (host_growth, memory_report, probe_memory, run_concurrently,
                         run_one_at_a_time)

RUNS = 1000  # per thread
INPUT_SETS = all_ops_model.input_sets()


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
    (all of it, as the driver reports) grows by less than 1% too. The same
    probe with ONNX Runtime's own CUDA ops (--builtin) runs beside it, so that
    a failure says whether growth needs our ops at all."""
    ours = probe_memory(ort_roi.get_library_path(), "--cuda")
    control = probe_memory(ort_roi.get_library_path(), "--cuda", "--builtin")
    host = host_growth(ours)
    device = (ours[-1]["device"] - ours[0]["device"]) / ours[0]["device"]
    report = (f"ours: {memory_report(ours)}. ONNX Runtime's own ops, host growth "
              f"{100 * host_growth(control):.3f}%: {memory_report(control)}")
    print(f"growth after the first 100 runs: host {100 * host:.3f}%, device "
          f"{100 * device:.3f}% ({report})")
    assert host < 0.01, report
    assert device < 0.01, report
