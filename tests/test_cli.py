"""The ort-roi command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def ort_roi(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    # From the checkout's root, so that `-m ort_roi.cli` runs this source;
    # tests/ on the path for the cli_models:attr specs.
    env = dict(os.environ, **env, PYTHONPATH=os.pathsep.join(
        [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "ort_roi.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tiny.onnx"
    out = ok(ort_roi("export", "cli_models:TinyRoi", str(path)))
    assert "ort_roi nodes: NMS x1, RoIAlign x1" in out
    return path


def test_export_writes_our_nodes_with_named_inputs(tiny):
    proto = onnx.load(tiny)
    assert [i.name for i in proto.graph.input] == ["image", "boxes", "scores"]
    assert sorted(n.op_type for n in proto.graph.node if n.domain == "ort_roi") == ["NMS", "RoIAlign"]
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17


def test_export_dynamo_with_opset_and_image_size(tmp_path):
    path = tmp_path / "plain.onnx"
    out = ok(ort_roi("export", "cli_models:plain", str(path), "--exporter", "dynamo",
                     "--opset", "18", "--image-size", "16", "20"))
    assert "dynamo exporter, opset 18" in out
    proto = onnx.load(path)
    assert [n.op_type for n in proto.graph.node if n.domain == "ort_roi"] == ["RoIPool"]
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 16, 20]
    # The model's random input for check comes from the ONNX input's static shape.
    out = ok(ort_roi("check", str(path), "--torch", "cli_models:plain"))
    assert "input x: [1, 3, 16, 20] float32" in out and "all outputs match" in out


# check profiles its session to say where each node ran; the profile goes
# into a temporary folder, removed after a match, a mismatch and an error.
# Each check below runs with a TMPDIR of its own, empty afterwards.
def empty_temp(tmp_path) -> Path:
    temp = tmp_path / "tmp"
    temp.mkdir()
    return temp


def left_in(temp: Path) -> list[str]:
    # ".ses": ONNX Runtime's own telemetry session id, made on a process's first session.
    return [p.name for p in temp.iterdir() if p.name != ".ses"]


def test_check_reports_each_output_our_nodes_and_providers(tiny, tmp_path):
    temp = empty_temp(tmp_path)
    out = ok(ort_roi("check", str(tiny), "--torch", "cli_models:TinyRoi", TMPDIR=str(temp)))
    lines = out.splitlines()
    pooled = next(line for line in lines if line.startswith("output0 "))
    keep = next(line for line in lines if line.startswith("output1 "))
    assert "[8, 4, 3, 3]" in pooled and pooled.split()[-1] == "ok"
    assert float(pooled.split()[-3]) < 1e-5  # max abs error
    assert "exact" in keep and keep.split()[-1] == "ok"
    assert any(line.split()[1:] == ["RoIAlign", "CPUExecutionProvider"] for line in lines)
    assert any(line.split()[1:] == ["NMS", "CPUExecutionProvider"] for line in lines)
    assert "ort_roi nodes (2):" in out and "all outputs match" in out
    assert left_in(temp) == []


def test_check_fails_on_another_model(tiny, tmp_path):
    temp = empty_temp(tmp_path)
    result = ort_roi("check", str(tiny), "--torch", "cli_models:shifted", TMPDIR=str(temp))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "MISMATCH in output0" in result.stdout
    keep = next(line for line in result.stdout.splitlines() if line.startswith("output1 "))
    assert keep.split()[-1] == "ok"  # nms saw the same boxes
    assert left_in(temp) == []


def test_check_that_fails_to_run_leaves_no_temporary_files(tiny, tmp_path):
    temp = empty_temp(tmp_path)
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, image=np.zeros((1, 3, 64, 64), np.float32))  # no boxes, no scores
    failed = ort_roi("check", str(tiny), "--per-node", "--inputs", str(inputs), TMPDIR=str(temp))
    assert failed.returncode not in (0, 1) and "boxes" in failed.stderr, failed.stderr
    assert left_in(temp) == []


def test_random_weights_follow_the_seed(tmp_path):
    """export --seed and check --seed draw the same random weights; another
    seed is another model, which check must tell apart."""
    path = tmp_path / "seeded.onnx"
    ok(ort_roi("export", "cli_models:TinyRoi", str(path), "--seed", "5"))
    out = ok(ort_roi("check", str(path), "--torch", "cli_models:TinyRoi", "--seed", "5"))
    assert "all outputs match" in out
    other = ort_roi("check", str(path), "--torch", "cli_models:TinyRoi")
    assert other.returncode == 1 and "MISMATCH in output0" in other.stdout, other.stdout


def test_check_tolerances_and_npz_inputs(tiny, tmp_path):
    gen = np.random.default_rng(1)
    xy = gen.uniform(0, 40, (8, 2))  # exported with 8 boxes, a static size
    boxes = np.concatenate([xy, xy + gen.uniform(4, 20, (8, 2))], 1).astype(np.float32)
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, image=gen.random((1, 3, 64, 64), np.float32), boxes=boxes,
             scores=gen.random(8, np.float32))
    out = ok(ort_roi("check", str(tiny), "--torch", "cli_models:TinyRoi", "--inputs", str(inputs)))
    assert "input boxes: [8, 4] float32" in out and "all outputs match" in out
    # Zero tolerance: float rounding differs between the runtimes somewhere.
    strict = ort_roi("check", str(tiny), "--torch", "cli_models:TinyRoi", "--inputs",
                     str(inputs), "--rtol", "0", "--atol", "0")
    assert strict.returncode in (0, 1)
    loose = ort_roi("check", str(tiny), "--torch", "cli_models:shifted", "--rtol", "0",
                    "--atol", "10")
    assert loose.returncode == 0, loose.stdout + loose.stderr


def test_one_stage_detector_by_name(tmp_path):
    """SSDlite with random weights (export/models.py: batch norms calibrated,
    so its scores are not all 1/11): it resizes to its own fixed size and
    takes no min_size or max_size, whatever --image-size says."""
    path = tmp_path / "ssdlite.onnx"
    size = ["--image-size", "240", "320"]
    out = ok(ort_roi("export", "ssdlite320_mobilenet_v3_large", str(path), *size))
    assert "outputs: boxes, scores, labels" in out and "ort_roi nodes: BatchedNMS x1" in out
    out = ok(ort_roi("check", str(path), "--torch", "ssdlite320_mobilenet_v3_large", *size))
    boxes = next(line for line in out.splitlines() if line.startswith("boxes "))
    assert "[0, 4]" not in boxes and "all outputs match" in out


def test_bad_spec_is_named():
    result = ort_roi("export", "no_such_model_name", "x.onnx")
    assert result.returncode == 2
    assert "'no_such_model_name' is neither a torchvision model name" in result.stderr


def test_demo_small():
    out = ok(ort_roi("demo", "--image-size", "128", "160", "--repeat", "1"))
    assert "ort_roi matches PyTorch eager on every output" in out
    assert "BatchedNMS x2, MultiScaleRoIAlign x2" in out
    for name in ("boxes", "labels", "scores", "masks"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
    for runtime in ("PyTorch eager", "ort_roi in ONNX Runtime",
                    "torchvision's ONNX export in ONNX Runtime"):
        row = next(line for line in out.splitlines() if line.startswith(runtime))
        assert float(row[len(runtime):].split()[0]) > 0, row
    assert "RoiAlign x" in out  # torchvision's own export, for comparison


def test_info_does_not_import_torch():
    code = ("import sys; from ort_roi.cli import main; main(['info']); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"RoIAlign"' in result.stdout


def test_an_error_is_one_message_and_its_traceback_on_request(tmp_path):
    missing = tmp_path / "missing.onnx"
    result = ort_roi("check", str(missing), "--per-node")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == f"ort-roi check: No such file or directory: {missing}"
    assert "Traceback" not in result.stderr
    traced = ort_roi("check", str(missing), "--per-node", "--traceback")
    assert traced.returncode == 1 and "Traceback" in traced.stderr
    assert traced.stderr.rstrip().endswith(f"No such file or directory: '{missing}'")


def test_check_names_a_file_that_is_not_onnx(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_text("not a model")
    result = ort_roi("check", str(junk), "--per-node")
    assert result.returncode == 2
    assert f"ort-roi: {junk} is not an ONNX model" in result.stderr


def test_export_refuses_a_missing_folder_before_exporting(tmp_path):
    out = tmp_path / "no_such_folder" / "x.onnx"
    result = ort_roi("export", "maskrcnn_resnet50_fpn", str(out), timeout=60)
    assert result.returncode == 2
    assert f"cannot write {out}: there is no folder {out.parent}" in result.stderr
