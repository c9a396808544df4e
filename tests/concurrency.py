"""Many threads running sessions at once, each result checked against a
reference computed one run at a time. Shared by tests/test_concurrency.py
and gpu_tests/test_concurrency_cuda.py."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort


def run_one_at_a_time(session: ort.InferenceSession,
                      input_sets: Sequence[dict]) -> list[list[np.ndarray]]:
    return [session.run(None, inputs) for inputs in input_sets]


def differences(got: list[np.ndarray], want: list[np.ndarray], names: Sequence[str]) -> list[str]:
    """Outputs that are not bit for bit the reference's."""
    found = []
    for name, g, w in zip(names, got, want, strict=True):
        if g.shape != w.shape or g.dtype != w.dtype:
            found.append(f"{name}: {g.dtype}{list(g.shape)} instead of {w.dtype}{list(w.shape)}")
        elif not np.array_equal(g, w, equal_nan=True):
            found.append(f"{name}: {int((g != w).sum())} of {g.size} values differ")
    return found


def run_concurrently(sessions: Sequence[ort.InferenceSession], input_sets: Sequence[dict],
                     expected: Sequence[list[np.ndarray]], runs: int) -> list[str]:
    """One thread per entry of `sessions` (the same session may appear several
    times), all released at once, each running `runs` times. Thread t's run r
    takes input set (t + r) % len(input_sets), so that runs of different
    shapes overlap. Returns what went wrong (at most a few lines per thread),
    nothing when every result equals `expected` for its input set."""
    names = [o.name for o in sessions[0].get_outputs()]
    start = threading.Barrier(len(sessions))
    problems: list[list[str]] = [[] for _ in sessions]

    def work(t: int, session: ort.InferenceSession) -> None:
        start.wait()
        for r in range(runs):
            which = (t + r) % len(input_sets)
            try:
                got = session.run(None, input_sets[which])
            except Exception as e:  # any failure is a finding, reported below
                problems[t].append(f"thread {t}, run {r}: {type(e).__name__}: {e}")
                return
            wrong = differences(got, expected[which], names)
            if wrong:
                problems[t].append(f"thread {t}, run {r}, input set {which}: {'; '.join(wrong)}")
                if len(problems[t]) >= 3:
                    return

    threads = [threading.Thread(target=work, args=(t, s)) for t, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [line for lines in problems for line in lines]


PROBE = Path(__file__).resolve().parent / "leak_probe.py"


def probe_memory(library: str, *flags: str) -> list[dict]:
    """leak_probe.py's checkpoints, run in a process of its own."""
    out = subprocess.run([sys.executable, str(PROBE), library, *flags],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    checkpoints = json.loads(out.stdout)["checkpoints"]
    warm_up = checkpoints[0]["runs"]  # 100, or more until all threads overlapped
    assert 100 <= warm_up <= 200 and checkpoints[-1]["runs"] == warm_up + 4000
    return checkpoints


def host_growth(checkpoints: Sequence[dict]) -> float:
    """Growth of anonymous memory from the first checkpoint to the last, as a
    share of resident memory at the first (leak_probe.py says why anonymous)."""
    first, last = checkpoints[0], checkpoints[-1]
    return (last["anonymous"] - first["anonymous"]) / first["resident"]


def memory_report(checkpoints: Sequence[dict]) -> str:
    lines = []
    for c in checkpoints:
        line = (f"{c['runs']} runs: {c['resident'] / 2**20:.2f} MiB resident, "
                f"{c['anonymous'] / 2**20:.2f} MiB anonymous")
        if c["device"] is not None:
            line += f", {c['device'] / 2**20:.2f} MiB on the device"
        lines.append(line + f", at most {c['in_flight']} runs in flight")
    return "; ".join(lines)
