"""The C++ consumer (examples/cpp_consumer): built by CMake against ONNX
Runtime's C++ API and an onnxruntime wheel's libonnxruntime, it registers the
library and runs a model with our NMS and RoIAlign nodes; its outputs must
match torchvision's, computed here, within the float32 tolerance."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ort_roi

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cpp_consumer"


def _make_case():
    spec = importlib.util.spec_from_file_location("make_case", EXAMPLE / "make_case.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _known_headers() -> list[str]:
    """A -D option naming the ONNX Runtime headers that a build of the library
    already found (its CMake cache), so that configuring the consumer does
    not fetch them again; none if no such build is at hand."""
    caches = [Path(ort_roi.get_library_path()).parent / "CMakeCache.txt",
              *sorted((ROOT / "build").glob("*/CMakeCache.txt"))]
    for cache in caches:
        if not cache.is_file():
            continue
        for line in cache.read_text().splitlines():
            if line.startswith("ORT_ROI_ORT_INCLUDE_DIR:"):
                found = line.split("=", 1)[1]
                if (Path(found) / "onnxruntime_cxx_api.h").is_file():
                    return [f"-DORT_ROI_ORT_INCLUDE_DIR={found}"]
    return []


def _oldest_runtime() -> str:
    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    (found,) = (Path(oldest) / "onnxruntime" / "capi").glob("libonnxruntime.so.*")
    return str(found)


def _build(folder: Path, *options: str) -> Path:
    for command in (["cmake", "-S", str(EXAMPLE), "-B", str(folder),
                     f"-DPython3_EXECUTABLE={sys.executable}", *_known_headers(), *options],
                    ["cmake", "--build", str(folder), "-j2"]):
        run = subprocess.run(command, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    return folder / "ort_roi_consumer"


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("case")
    _make_case().write_case(folder)
    return folder


def _consume(executable: Path, case: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(executable), ort_roi.get_library_path(), str(case)],
                          capture_output=True, text=True, timeout=120)


# The wheel of this Python's onnxruntime (the README's command), and the
# oldest release the library supports, through -DONNXRUNTIME_LIBRARY.
@pytest.fixture(scope="module", params=["wheel", "oldest"])
def consumer(request, tmp_path_factory) -> tuple[str, Path]:
    import onnxruntime

    folder = tmp_path_factory.mktemp(f"consumer_{request.param}")
    if request.param == "wheel":
        return onnxruntime.__version__, _build(folder)
    return "1.21.0", _build(folder, f"-DONNXRUNTIME_LIBRARY={_oldest_runtime()}")


def test_consumer_matches_torchvision(consumer, case):
    version, executable = consumer
    run = _consume(executable, case)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"ONNX Runtime {version}"
    keep = np.load(case / "expected" / "keep.npy")
    assert 0 < len(keep) < 40  # NMS dropped some proposals and kept some
    assert lines[1:] == [f"keep: [{len(keep)}], {len(keep)} values match",
                         f"pooled: [{len(keep)}, 16, 5, 5], {len(keep) * 400} values match",
                         "match"]


def test_consumer_reports_a_difference(consumer, case, tmp_path):
    """The check is real: a value off by 1e-4 makes it fail, naming the output."""
    _, executable = consumer
    changed = tmp_path / "case"
    shutil.copytree(case, changed)
    pooled = np.load(case / "expected" / "pooled.npy")
    pooled.reshape(-1)[17] += 1e-4
    np.save(changed / "expected" / "pooled.npy", pooled)
    run = _consume(executable, changed)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "pooled: 1 of" in run.stdout and "at flat index 17" in run.stdout
    assert run.stdout.splitlines()[-1] == "MISMATCH"


def test_consumer_reports_a_missing_library(consumer, case):
    _, executable = consumer
    run = subprocess.run([str(executable), str(case / "no_such_library.so"), str(case)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "no_such_library.so" in run.stderr
