"""Packaging as a deployment uses it. `python -m build` makes an sdist and,
from that sdist, a wheel (CUDA off here, for CI time: the CUDA build is
covered by `make install`); the wheel installs into a fresh virtual
environment with onnxruntime, numpy and onnx only, all binary (no compiler,
no torch), and runs a model with our nodes there against torchvision's
results computed in this process: once with the newest onnxruntime and onnx,
once with the oldest ones its metadata accepts."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "MultiScaleRoIAlign", "NMS", "BatchedNMS",
       "DeformConv2d"]


def _env() -> dict[str, str]:
    """This process's environment without what would point a child at this
    checkout or this virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ORT_ROI_LIBRARY")}
    env["CMAKE_BUILD_PARALLEL_LEVEL"] = "2"
    return env


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    run = subprocess.run(command, capture_output=True, text=True, env=_env(), **kwargs)
    assert run.returncode == 0, f"{command}:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return run


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), "-C", "cmake.define.ORT_ROI_CUDA=OFF",
          str(ROOT)], timeout=1200)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_sdist_holds_what_a_build_needs(dist):
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = {"CMakeLists.txt", "pyproject.toml", "README.md"}
    for folder in ("kernels", "cmake", "scripts", "ort_roi", "export"):
        needed |= {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".so"}
    assert needed <= names, sorted(needed - names)
    assert not [n for n in names if n.endswith(".so") or n.split("/")[0] in ("build", "dist", ".venv")]


def _requires(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as whl:
        (metadata,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        return [line.split(":", 1)[1].strip() for line in whl.read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:")]


def _oldest(requires: list[str], name: str) -> str:
    """`name` pinned to the lower bound the wheel declares ("onnx>=1.19" -> "onnx==1.19")."""
    (bound,) = [r.split(">=", 1)[1].split(",")[0].strip() for r in requires
                if r.split(">=")[0].strip() == name and "extra ==" not in r]
    return f"{name}=={bound}"


def test_wheel_holds_the_library_and_needs_no_torch(dist):
    assert dist["wheel"].name.endswith("-py3-none-linux_x86_64.whl")
    requires = _requires(dist["wheel"])
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = set(whl.namelist())
        info = json.loads(whl.read("ort_roi/build_info.json"))
    assert {"ort_roi/libort_roi.so", "ort_roi/__init__.py", "ort_roi/ops.py",
            "ort_roi/schemas/__init__.py", "ort_roi/export/__init__.py"} <= names
    assert info["providers"] == ["CPUExecutionProvider"]
    runtime = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r)
    assert runtime == ["numpy", "onnx", "onnxruntime"]


@pytest.mark.parametrize("runtime", ["newest", "oldest"])
def test_wheel_runs_in_a_fresh_venv_without_torch(dist, tmp_path, runtime):
    # "oldest": the onnxruntime and onnx releases the wheel's lower bounds
    # name, so that a bound too low for the code fails here, not for a user
    # (onnx below 1.19 cannot give a schema its shape inference).
    wanted = ["onnxruntime", "onnx"]
    if runtime == "oldest":
        wanted = [_oldest(_requires(dist["wheel"]), name) for name in wanted]
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--only-binary=:all:", str(dist["wheel"]),
          *wanted, "numpy"], timeout=900)
    installed = {p["name"]: p["version"]
                 for p in json.loads(_run([python, "-m", "pip", "list", "--format=json"]).stdout)}
    assert "torch" not in installed
    if runtime == "oldest":
        for pin in wanted:
            name, version = pin.split("==")
            assert installed[name].split(".")[:2] == version.split(".")[:2], (pin, installed)

    spec = importlib.util.spec_from_file_location(
        "make_case", ROOT / "examples" / "cpp_consumer" / "make_case.py")
    make_case = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_case)
    case = tmp_path / "case"
    expected = make_case.write_case(case)  # torchvision's results, computed here

    # -I and a cwd outside the checkout: ort_roi comes from the venv alone.
    probe = _run([python, "-I", str(ROOT / "tests" / "wheel_probe.py"), str(case)],
                 cwd=tmp_path, timeout=300)
    report = json.loads(probe.stdout.splitlines()[-1])
    assert report["kept"] == len(expected["keep"])
    assert report["library"].startswith(str(venv))

    info = json.loads(_run([str(venv / "bin" / "ort-roi"), "info"], cwd=tmp_path, timeout=300).stdout)
    assert info["ops_built"] == OPS and info["library"].startswith(str(venv))
