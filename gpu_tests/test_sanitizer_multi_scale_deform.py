"""compute-sanitizer's memcheck and racecheck over MultiScaleRoIAlign (absurd
and invalid rois) and DeformConv2d (NaN and far offsets, several chunks of
column scratch, partial GEMM tiles; racecheck watches the GEMM's shared
memory): no report. Where the toolkit's sanitizer is not installed, this says
so."""

import shutil
import subprocess
import sys
import textwrap

import pytest

RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests"); sys.path.insert(0, "gpu_tests")
    import numpy as np
    from cuda_support import run_cuda
    from test_deform_conv2d import make_case
    rng = np.random.default_rng(0)
    maps = {f"X_{i}": rng.standard_normal((2, 9, 40 >> i, 48 >> i)).astype(np.float32)
            for i in range(4)}
    rois = np.array([[0, 1, 1, 30, 30], [1, 0, 0, 160, 190], [5, 1, 1, 4, 4], [-1, 1, 1, 9, 9],
                     [0, -1e30, -1e30, 1e30, 1e30], [1, 50, 40, 20, 90], [0, np.nan, 0, 4, 4]],
                    np.float32)
    run_cuda("MultiScaleRoIAlign", {"rois": rois, **maps}, output_height=7, output_width=7,
             spatial_scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32])
    for dtype in (np.float32, np.float16):
        inputs, attrs = make_case(rng, dtype, n=3, cin=6, h=9, w=70, cout=70, group=2,
                                  offset_group=3, offset_scale=12.0)
        inputs[2][0, 0, 0, :3] = (np.nan, 1e4, -np.inf)
        names = ["X", "W", "offset", "B", "mask"]
        run_cuda("DeformConv2d", dict(zip(names, inputs)), **attrs)
    # 2 * 64 * 64 positions of 2304 rows: 75 MB of columns, two chunks.
    inputs, attrs = make_case(rng, np.float32, n=2, cin=256, h=64, w=64, cout=8)
    run_cuda("DeformConv2d", dict(zip(names, inputs)), **attrs)
""")


@pytest.mark.parametrize("tool", ["memcheck", "racecheck"])
def test_compute_sanitizer_is_clean(tool):
    sanitizer = shutil.which("compute-sanitizer")
    if sanitizer is None:
        pytest.skip("compute-sanitizer is not on PATH (it comes with the CUDA toolkit)")
    out = subprocess.run([sanitizer, f"--tool={tool}", "--error-exitcode=9", sys.executable, "-c", RUN],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "ERROR SUMMARY: 0 errors" in out.stdout or "RACECHECK SUMMARY: 0 hazards" in out.stdout
