"""Comparing outputs and finding which execution provider ran each node (no torch)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Optional

import numpy as np
import onnx
import onnxruntime as ort

import ort_roi


@dataclass
class Comparison:
    name: str
    shape: tuple
    expected_shape: tuple
    exact: bool          # integer or bool output: compared for equality
    max_abs: float
    max_rel: float
    ok: bool

    @property
    def error(self) -> str:
        if self.shape != self.expected_shape:
            return f"shape {self.shape} vs {self.expected_shape}"
        if self.exact:
            return "exact" if self.ok else f"{self.max_abs:.3g} (not exact)"
        return f"{self.max_abs:.3g}"


def compare(name: str, actual: np.ndarray, expected: np.ndarray, rtol: float,
            atol: float) -> Comparison:
    """Max absolute error, max error relative to max(|expected|, atol) (so that
    zeros do not blow it up), and whether every element is within
    atol + rtol * |expected|. Integer and bool outputs must be equal."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    exact = not (np.issubdtype(expected.dtype, np.floating)
                 or np.issubdtype(actual.dtype, np.floating))
    if actual.shape != expected.shape:
        return Comparison(name, actual.shape, expected.shape, exact, np.inf, np.inf, False)
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    # NaN where both are NaN counts as equal, as torch.testing does.
    both_nan = np.isnan(a) & np.isnan(e)
    diff = np.where(both_nan, 0.0, np.abs(a - e))
    diff = np.where(np.isnan(diff), np.inf, diff)
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float((diff / np.maximum(np.abs(e), max(atol, 1e-30))).max()) if diff.size else 0.0
    if exact:
        ok = max_abs == 0.0
    else:
        ok = bool(np.all(diff <= atol + rtol * np.abs(np.where(both_nan, 0.0, e))))
    return Comparison(name, actual.shape, expected.shape, exact, max_abs, max_rel, ok)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def shape_text(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def our_nodes(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """ort_roi nodes, the main graph's and those inside subgraphs (If, Loop)."""
    found = []

    def walk(graph):
        for node in graph.node:
            if node.domain == ort_roi.DOMAIN:
                found.append(node)
            for attr in node.attribute:
                for sub in [attr.g] if attr.HasField("g") else list(attr.graphs):
                    walk(sub)
    walk(model.graph)
    return found


def session(model_path_or_bytes, *, plugin: bool = True, profile_in: Optional[str] = None,
            threads: int = 0) -> ort.InferenceSession:
    """profile_in: a folder for ORT's profile (providers_by_node reads it);
    the caller owns the folder."""
    so = ort.SessionOptions()
    so.log_severity_level = 3  # shape-inference warnings on data-dependent outputs
    so.intra_op_num_threads = threads
    if profile_in is not None:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(profile_in, "run")
    if plugin:
        return ort_roi.InferenceSession(model_path_or_bytes, so)
    return ort.InferenceSession(model_path_or_bytes, so, providers=["CPUExecutionProvider"])


def providers_by_node(sess: ort.InferenceSession) -> dict[str, tuple[str, str]]:
    """{node name: (op type, execution provider)} for every node that ran, read
    from ORT's profile (end the profiling: the session must have been made with
    profile_in and have run)."""
    path = sess.end_profiling()
    try:
        with open(path) as f:
            events = json.load(f)
    finally:
        os.remove(path)
    ran = {}
    for event in events:
        args = event.get("args", {})
        if event.get("cat") == "Node" and "provider" in args and event["name"].endswith("_kernel_time"):
            ran[event["name"][: -len("_kernel_time")]] = (args.get("op_name", "?"), args["provider"])
    return ran


def provider_summary(ran: dict[str, tuple[str, str]]) -> str:
    counts = Counter(provider for _, provider in ran.values())
    return ", ".join(f"{p}: {n} nodes" for p, n in sorted(counts.items())) or "no node ran"


def timed(fn, repeat: int) -> tuple[object, float]:
    """fn's last result and its median wall time over `repeat` calls, in ms."""
    times, result = [], None
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return result, float(np.median(times))


def feeds(sess: ort.InferenceSession, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    # An exporter may drop an input the graph never reads.
    wanted = {i.name for i in sess.get_inputs()}
    return {k: v for k, v in inputs.items() if k in wanted}


class Progress:
    """Step lines with timings, flushed as they happen."""

    def __init__(self):
        self.start = time.perf_counter()
        self._step: Optional[float] = None

    def step(self, text: str) -> None:
        self._step = time.perf_counter()
        print(f"[{self._step - self.start:6.1f}s] {text} ...", flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def done(self, text: str = "") -> None:
        took = time.perf_counter() - (self._step or self.start)
        print(f"          done in {took:.1f}s{': ' + text if text else ''}", flush=True)
