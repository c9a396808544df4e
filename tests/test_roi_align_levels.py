"""RoIAlign and MultiScaleRoIAlign at every vector level (kernels/common/
cpu_isa.h) give the plain C++ level's outputs bit for bit, in every dtype,
on inputs that leave vector tails and cover both the channels-last and the
NCHW paths (tests/roi_align_levels.py); and the plain level adds each bin's
samples in torchvision's order, so float32 and float64 equal torchvision's.
Each level runs in a subprocess: the level is read once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.ops as tvo

import roi_align_levels as cases
from support import assert_close

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Level name -> {case name: output}."""
    out = {}
    for level in ("scalar", "avx2", "avx512"):
        path = tmp_path_factory.mktemp(level) / "out.npz"
        env = dict(os.environ, ORT_ROI_ISA=level)
        subprocess.run([sys.executable, str(HERE / "roi_align_levels.py"), str(path)], env=env,
                       check=True, timeout=600)
        with np.load(path) as f:
            out[level] = {k: f[k] for k in f.files}
    return out


@pytest.mark.parametrize("level", ["avx2", "avx512"])
def test_level_matches_plain_bit_for_bit(outputs, level):
    # A level the processor lacks runs as the highest it has: still compared.
    plain = outputs["scalar"]
    for name, y in outputs[level].items():
        assert y.dtype == plain[name].dtype, name
        np.testing.assert_array_equal(y.view(np.uint8), plain[name].view(np.uint8), err_msg=name)


def test_plain_level_matches_torchvision(outputs):
    plain = outputs["scalar"]
    for name, x, r, size, scale, ratio, aligned in cases.cases():
        tx, tr = (torch.from_numpy(a.astype(np.float32) if a.dtype == np.float16 else a)
                  for a in (x, r))
        want = tvo.roi_align(tx, tr, size, scale, ratio, aligned).numpy()
        if x.dtype == np.float16:
            assert_close(plain[name], want, np.float16)
        else:  # same order of operations: the same bits
            np.testing.assert_array_equal(plain[name], want, err_msg=name)
    for name, feats, boxes in cases.multi_scale_cases():
        dtype = boxes[0].dtype
        pooler = tvo.MultiScaleRoIAlign(list(feats), 7, 2)
        tf = {k: torch.from_numpy(v.astype(np.float32) if dtype == np.float16 else v)
              for k, v in feats.items()}
        tb = [torch.from_numpy(b.astype(np.float32) if dtype == np.float16 else b) for b in boxes]
        want = pooler(tf, tb, [(256, 384)] * 2).numpy()
        if dtype == np.float16:
            assert_close(plain[name], want, np.float16)
        else:
            np.testing.assert_array_equal(plain[name], want, err_msg=name)
