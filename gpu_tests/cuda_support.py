"""Running one node on the CUDA execution provider, and where ORT put it."""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import onnxruntime as ort

import ort_roi
from support import one_node_model

CUDA = ["CUDAExecutionProvider", "CPUExecutionProvider"]


def cuda_session(model: bytes, profile: bool = False) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    if profile:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort_roi")
    return ort_roi.InferenceSession(model, so, providers=CUDA)


def run_cuda(op: str, inputs: dict[str, np.ndarray], **attrs) -> np.ndarray:
    return cuda_session(one_node_model(op, inputs, **attrs)).run(None, inputs)[0]


def providers_by_node(sess: ort.InferenceSession) -> dict[str, str]:
    """Node name -> the execution provider that ran it, from ORT's profile."""
    with open(sess.end_profiling()) as f:
        events = json.load(f)
    return {e["name"].removesuffix("_kernel_time"): e["args"]["provider"] for e in events
            if e.get("cat") == "Node" and "provider" in e.get("args", {})}
