"""gpu_tests runs only where there is a GPU, so it can go stale unseen: its
modules import helpers from tests/ (roi_cases, support, host_grid, ...) that
the CPU suite keeps changing. Each of them must at least import here, against
those helpers as they are now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

GPU_TESTS = Path(__file__).resolve().parent.parent / "gpu_tests"


@pytest.mark.parametrize("path", sorted(GPU_TESTS.glob("*.py")), ids=lambda p: p.name)
def test_gpu_suite_module_imports(path, monkeypatch):
    monkeypatch.syspath_prepend(str(GPU_TESTS))
    spec = importlib.util.spec_from_file_location(f"gpu_tests_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if path.stem.startswith("test_"):
        assert [name for name in vars(module) if name.startswith("test_")]
