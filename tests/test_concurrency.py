"""Every op under concurrent use, and memory over many runs (CPU; the CUDA
twin is gpu_tests/test_concurrency_cuda.py).

An inference server runs one session from many threads, or several sessions
at once. The model (all_ops_model.py) has all eight ops, and the runs cycle
through inputs of different shapes, so that runs of different sizes overlap
in the kernels' per-thread scratch and in ORT's thread pool. Every result must
be bit for bit what a session with one intra-op thread gives, run by run.
"""

from __future__ import annotations

import onnx
import onnxruntime as ort
import pytest

import all_ops_model
import ort_roi
from concurrency import (host_growth, memory_report, probe_memory, run_concurrently,
                         run_one_at_a_time)

RUNS = 1000  # per thread
INPUT_SETS = all_ops_model.input_sets()


def session(intra_op_threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = intra_op_threads
    so.log_severity_level = 3
    return ort_roi.InferenceSession(all_ops_model.model(), so)


@pytest.fixture(scope="module")
def expected():
    return run_one_at_a_time(session(1), INPUT_SETS)


def test_the_model_has_every_op():
    nodes = onnx.load_from_string(all_ops_model.model()).graph.node
    assert sorted(n.op_type for n in nodes) == sorted(all_ops_model.OPS)


def test_eight_threads_share_one_session(expected):
    shared = session(2)
    assert not run_concurrently([shared] * 8, INPUT_SETS, expected, RUNS)


def test_four_sessions_run_at_once(expected):
    assert not run_concurrently([session(2) for _ in range(4)], INPUT_SETS, expected, RUNS)


def test_resident_memory_stays_flat_after_the_first_100_runs():
    """4 threads on one session, 100 runs, then 4,000 more: resident memory
    grows by less than 1% (of resident memory after the first 100). The
    growth counted is that of anonymous memory: see leak_probe.py for why the
    pages mapped from the libraries' files are left out."""
    checkpoints = probe_memory(ort_roi.get_library_path())
    growth, report = host_growth(checkpoints), memory_report(checkpoints)
    print(f"memory growth after the first 100 runs: {100 * growth:.3f}% ({report})")
    assert growth < 0.01, report
