"""The CPU kernels' vector levels (kernels/common/cpu_isa.h): ORT_ROI_ISA caps
the level, and every op matches torchvision at every level this processor
has. The level is read once per process, so each level runs in a subprocess."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ort_roi

LEVELS = ["scalar", "avx2", "avx512"]
HERE = Path(__file__).parent


def probe(level: str | None) -> tuple[str, str]:
    """(active, detected) level in a fresh process with ORT_ROI_ISA=level."""
    lib = Path(ort_roi.get_library_path()).parent / "libort_roi_host_grid.so"
    code = ("import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]);"
            "[setattr(f, 'restype', ctypes.c_char_p) for f in (lib.ort_roi_active_isa, lib.ort_roi_detected_isa)];"
            "print(lib.ort_roi_active_isa().decode(), lib.ort_roi_detected_isa().decode())")
    env = {k: v for k, v in os.environ.items() if k != "ORT_ROI_ISA"}
    if level is not None:
        env["ORT_ROI_ISA"] = level
    out = subprocess.run([sys.executable, "-c", code, str(lib)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], out[1]


def test_unset_uses_what_the_processor_has():
    active, detected = probe(None)
    assert active == detected
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    if " avx512bw" in flags and " avx512vl" in flags and " avx512dq" in flags:
        assert detected == "avx512"
    elif " avx2" in flags and " fma" in flags and " f16c" in flags:
        assert detected == "avx2"


@pytest.mark.parametrize("level", LEVELS)
def test_level_is_capped(level):
    active, detected = probe(level.upper())
    assert active == min(level, detected, key=LEVELS.index)


def test_unknown_value_means_scalar():
    assert probe("sse9")[0] == "scalar"


@pytest.mark.parametrize("level", LEVELS)
def test_every_op_matches_torchvision_at_level(level):
    env = dict(os.environ, ORT_ROI_ISA=level)
    run = subprocess.run([sys.executable, str(HERE / "isa_parity.py")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "failures: none" in run.stdout
