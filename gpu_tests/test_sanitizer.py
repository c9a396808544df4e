"""compute-sanitizer's memcheck and racecheck over the CUDA roi ops: no
report. Where the toolkit's sanitizer is not installed, this says so."""

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
    from roi_cases import OPS, rois_of
    from support import random_rois
    rng = np.random.default_rng(0)
    for op in [o for o in OPS if o.host_grid is not None]:
        x = op.feature(rng, 2, 9, 12, 13, 3, 3, np.float32)
        rois = np.concatenate([random_rois(rng, 30, 2, 14, np.float32),
                               rois_of([[5, 1, 1, 4, 4], [0, -1e30, -1e30, 1e30, 1e30]], np.float32)])
        run_cuda(op.name, {"X": x, "rois": rois}, **op.attrs(3, 3, 1.0, -1, False))
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
