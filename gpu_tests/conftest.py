"""GPU tests: the CUDA kernels through onnxruntime-gpu's CUDA execution
provider, against torchvision's CUDA ops and our CPU kernels. Run them with
`make test-gpu` on a machine with an NVIDIA GPU. They are not part of
`make test` (whose suite never skips): without a GPU this suite stops at
once and says why, with a failing exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def pytest_sessionstart(session):
    import onnxruntime as ort
    import torch

    import ort_roi

    missing = []
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        missing.append(f"onnxruntime {ort.__version__} has no CUDAExecutionProvider "
                       "(install onnxruntime-gpu)")
    if not torch.cuda.is_available():
        missing.append("torch sees no CUDA device")
    if "CUDAExecutionProvider" not in ort_roi.providers():
        missing.append("this build of ort_roi has no CUDA kernels (was nvcc found?)")
    if missing:
        pytest.exit("GPU suite cannot run: " + "; ".join(missing), returncode=3)
