"""RoIAlign, RoIPool, PSRoIAlign and PSRoIPool on a GPU. Each node runs on the CUDA
execution provider (a fallback to the CPU is refused), and its output is
compared with torchvision's CUDA op, with ort_roi's CPU kernel, and with the
kernel's thread body run on the host (tests/host_grid.py): bit for bit for
the pooling ops (built with -fmad=false, so they round as the host does);
within the dtype's tolerance for the bilinear ops, which nvcc contracts into
fused multiply-adds as it does torchvision's CUDA kernels (CMakeLists.txt).

Needs a GPU, onnxruntime-gpu and a CUDA build of torch; `pytest tests` does
not collect this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ort_roi  # noqa: E402
from roi_cases import (ABSURD_ROWS, EDGE_CASES, NON_FINITE_ROWS, POSITION_SENSITIVE_EDGE_CASES,  # noqa: E402
                       PS_ROI_ALIGN, PS_ROI_POOL, ROI_ALIGN, ROI_POOL, rois_of)
from support import DTYPES, assert_close, one_node_model, random_rois  # noqa: E402

OPS = [ROI_ALIGN, ROI_POOL, PS_ROI_ALIGN, PS_ROI_POOL]  # aligned=False throughout
DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)
EDGE_RUNS = [(case, op, ratio) for op in OPS
             for case in EDGE_CASES + (POSITION_SENSITIVE_EDGE_CASES if op.position_sensitive else [])
             for ratio in op.ratios()]


def session(op, x, rois, oh, ow, scale=1.0, ratio=-1):
    so = ort.SessionOptions()
    so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    model = one_node_model(op.name, {"X": x, "rois": rois},
                           **op.attrs(oh, ow, scale, ratio, False))
    return ort_roi.InferenceSession(model, so, providers=["CUDAExecutionProvider"])


def on_cuda(op, x, rois, oh, ow, scale=1.0, ratio=-1):
    return session(op, x, rois, oh, ow, scale, ratio).run(None, {"X": x, "rois": rois})[0]


def assert_same_bits(a, b):
    """Equal bit for bit, a NaN wherever the other has one (the device's NaN
    has other payload bits than the host's)."""
    assert a.dtype == b.dtype and a.shape == b.shape
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize]
    np.testing.assert_array_equal(a[~nan].view(bits), b[~nan].view(bits))


# Built with contraction on, as torchvision's CUDA kernels are.
CONTRACTED = {"RoIAlign", "PSRoIAlign"}


def assert_is_body(op, y, body, theirs=None):
    """The device's result against its thread body run on the host: bit for
    bit, or for the contracted ops as close as torchvision's CUDA and CPU
    results `theirs` are to each other (within the dtype's tolerance where
    torchvision cannot run the case)."""
    assert y.dtype == body.dtype
    if op.name not in CONTRACTED:
        assert_same_bits(y, body)
    elif theirs is None:
        assert_close(y, body, y.dtype.type)
    else:
        assert_gap_is_torchvisions(y, body, *theirs, y.dtype.type)


def assert_gap_is_torchvisions(y, cpu, theirs_cuda, theirs_cpu, dtype):
    """Our CUDA and CPU kernels differ no more than torchvision's own CUDA and
    CPU kernels do on the same inputs (a sample coordinate that rounds to the
    next float moves an output by up to ~1e-5 in float32)."""
    ours = np.abs(y.astype(np.float64) - cpu.astype(np.float64))
    gap = np.nan_to_num(np.abs(theirs_cuda.astype(np.float64) - theirs_cpu.astype(np.float64)))
    np.testing.assert_array_equal(np.isnan(y), np.isnan(cpu))
    atol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-12}[dtype]
    assert np.nanmax(ours, initial=0) <= 2 * gap.max(initial=0) + atol, (np.nanmax(ours), gap.max())


def check(op, x, rois, oh, ow, scale=1.0, ratio=-1):
    y = on_cuda(op, x, rois, oh, ow, scale, ratio)
    theirs = op.theirs(x, rois, oh, ow, scale, ratio, device="cuda")
    assert_is_body(op, y, op.cuda_body(x, rois, oh, ow, scale, ratio),
                   (theirs, op.theirs(x, rois, oh, ow, scale, ratio)))
    op.assert_matches(y, theirs, x.dtype.type)


def test_a_gpu_and_the_cuda_provider_are_there():
    assert torch.cuda.is_available()
    assert "CUDAExecutionProvider" in ort.get_available_providers()
    assert "CUDAExecutionProvider" in ort_roi.providers()


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("case, op, ratio", EDGE_RUNS,
                         ids=[f"{c[0]}-{op}-ratio{r}" for c, op, r in EDGE_RUNS])
def test_edge_cases(case, op, ratio, dtype):
    _, (n, c, h, w), rows, scale, (oh, ow) = case
    rng = np.random.default_rng(len(rows) + h)
    check(op, op.feature(rng, n, c, h, w, oh, ow, dtype), rois_of(rows, dtype), oh, ow, scale,
          ratio)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", OPS, ids=str)
@pytest.mark.parametrize("seed", range(5))
def test_random(op, dtype, seed):
    # 21 output channels: full blocks of channels per thread and a partial one.
    rng = np.random.default_rng(seed)
    (oh, ow), ratio = [(7, 7), (3, 5), (2, 2), (1, 1), (4, 3)][seed], seed - 1
    x = op.feature(rng, 3, 21, 25, 38, oh, ow, dtype)
    rois = random_rois(rng, 300, 3, 76, dtype)
    y = on_cuda(op, x, rois, oh, ow, 0.5, ratio)
    theirs = (op.theirs(x, rois, oh, ow, 0.5, ratio, device="cuda"),
              op.theirs(x, rois, oh, ow, 0.5, ratio))
    assert_is_body(op, y, op.cuda_body(x, rois, oh, ow, 0.5, ratio), theirs)
    op.assert_matches(y, theirs[0], dtype)
    cpu = op.ours(x, rois, oh, ow, 0.5, ratio)
    if dtype in op.exact:
        assert_same_bits(y, cpu)
    elif op.name in CONTRACTED:
        assert_gap_is_torchvisions(y, cpu, *theirs, dtype)
    else:
        assert_close(y, cpu, dtype)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("op", OPS, ids=str)
def test_invalid_batch_index_gives_zeros(op, dtype):
    # The CPU refuses these rois; on CUDA the kernel alone reads them, and
    # gives them zeros (a zero-size box too, whose PSRoIAlign bins would be NaN).
    rng = np.random.default_rng(5)
    x = op.feature(rng, 2, 3, 10, 10, 2, 2, dtype) + 5
    rows = [[2, 1, 1, 6, 6], [-1, 1, 1, 6, 6], [0.5, 1, 1, 6, 6], [np.nan, 1, 1, 6, 6],
            [np.inf, 1, 1, 6, 6], [7, 4, 4, 4, 4], [1, 1, 1, 6, 6]]
    rois = rois_of(rows, dtype)
    y = on_cuda(op, x, rois, 2, 2)
    assert (y[:6] == 0).all()
    assert_is_body(op, y, op.cuda_body(x, rois, 2, 2))
    op.assert_matches(y[6:], op.theirs(x, rois[6:], 2, 2, device="cuda"), dtype)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_non_finite_and_absurd_boxes(op):
    x = op.feature(np.random.default_rng(3), 1, 3, 10, 10, 2, 2, np.float32) + 5
    rois = rois_of(NON_FINITE_ROWS + ABSURD_ROWS, np.float32)
    y = on_cuda(op, x, rois, 2, 2)
    assert (y[:3] == 0).all() and np.isfinite(y).all()
    assert_is_body(op, y, op.cuda_body(x, rois, 2, 2))


@pytest.mark.parametrize("op", OPS, ids=str)
def test_inputs_and_output_on_the_device(op):
    # X, rois and Y stay in GPU memory (no copies around the node): the kernel
    # runs on ORT's compute stream and the output is read after the run.
    rng = np.random.default_rng(9)
    x = op.feature(rng, 2, 16, 40, 50, 7, 7, np.float32)
    rois = random_rois(rng, 500, 2, 50, np.float32)
    sess = session(op, x, rois, 7, 7, 1.0, 2)
    binding = sess.io_binding()
    binding.bind_ortvalue_input("X", ort.OrtValue.ortvalue_from_numpy(x, "cuda", 0))
    binding.bind_ortvalue_input("rois", ort.OrtValue.ortvalue_from_numpy(rois, "cuda", 0))
    binding.bind_output("Y0", "cuda")
    sess.run_with_iobinding(binding)
    y = binding.copy_outputs_to_cpu()[0]
    theirs = op.theirs(x, rois, 7, 7, 1.0, 2, device="cuda")
    op.assert_matches(y, theirs, np.float32)
    assert_is_body(op, y, op.cuda_body(x, rois, 7, 7, 1.0, 2),
                   (theirs, op.theirs(x, rois, 7, 7, 1.0, 2)))


@pytest.mark.parametrize("op", OPS, ids=str)
def test_no_rois_and_no_channels(op):
    x = op.feature(np.random.default_rng(2), 1, 2, 8, 8, 2, 2, np.float32)
    assert on_cuda(op, x, np.zeros((0, 5), np.float32), 2, 2).shape == (0, 2, 2, 2)
    empty = np.zeros((1, 0, 8, 8), np.float32)
    rois = rois_of([[0, 1, 1, 4, 4]], np.float32)
    assert on_cuda(op, empty, rois, 2, 2).shape == (1, 0, 2, 2)
