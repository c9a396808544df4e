"""RoIPool, PSRoIPool and PSRoIAlign on their channels-last CPU path
(kernels/channels_last_pool/): the map is copied channels-last when the rois
cover a quarter of it or more, else the channel-major kernels run. Both paths,
at every vector level, must give torchvision's results and the same bits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from channels_last_levels import covering_rois, special_map, sparse_rois
from roi_cases import PS_ROI_ALIGN, PS_ROI_POOL, ROI_POOL
from support import DTYPES

HERE = Path(__file__).parent
OPS = [ROI_POOL, PS_ROI_POOL, PS_ROI_ALIGN]
LEVELS = ["scalar", "avx2", "avx512"]


def rois_for(n, h, w, dtype):
    return np.concatenate([sparse_rois(n, nan=False), covering_rois(n, h, w)]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", [1, 3, 15, 16, 17, 33, 70])
@pytest.mark.parametrize("op", OPS, ids=str)
def test_matches_torchvision(op, c, dtype):
    rng = np.random.default_rng(c)
    x = op.feature(rng, 2, c, 11, 14, 3, 3, dtype)
    op.check(x, rois_for(2, 11, 14, dtype), 3, 3, 0.5 if c % 2 else 1.0, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS, ids=str)
def test_nan_inf_and_signed_zeros_match_torchvision(op, dtype):
    rng = np.random.default_rng(1)
    # PSRoIAlign sums a bin as weighted rows of weighted columns, with the
    # weights of samples that share a pixel merged: an infinity that
    # torchvision multiplies by a zero weight (NaN) can meet a merged, nonzero
    # one here. NaN and finite values follow torchvision.
    x = special_map(rng, (2, op.channels(17, 2, 2), 9, 13), dtype,
                    infinities=op is not PS_ROI_ALIGN)
    rois = rois_for(2, 9, 13, dtype)
    y, ref = op.ours(x, rois, 2, 2, 1.0, 2), op.theirs(x, rois, 2, 2, 1.0, 2)
    if op is ROI_POOL and dtype == np.float16:
        # A bin of only NaN and -inf gives torchvision's -FLT_MAX, which is
        # -inf in float16.
        ref = ref.astype(np.float16)
    op.assert_matches(y, ref, dtype)
    if op is ROI_POOL:
        # Max keeps the first of equal values: which zero torchvision returns.
        np.testing.assert_array_equal(np.signbit(y), np.signbit(ref))


@pytest.mark.parametrize("op", OPS, ids=str)
def test_all_zero_map_and_empty_bins(op):
    x = np.zeros((1, op.channels(16, 3, 3), 6, 5), np.float32)
    x[:, ::2] = -0.0
    rois = np.array([[0, 0, 0, 5, 4]] * 3 + [[0, 20, 20, 30, 30], [0, 2, 2, 2.1, 2.1]],
                    np.float32)
    y, ref = op.ours(x, rois, 3, 3, 1.0, 2), op.theirs(x, rois, 3, 3, 1.0, 2)
    op.assert_matches(y, ref, np.float32)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(ref))


def bits(a: np.ndarray) -> np.ndarray:
    """The array's bits, every NaN written alike (NaN payloads are not ours to keep)."""
    a = np.where(np.isnan(a), np.array(np.nan, a.dtype), a)
    return a.view(f"u{a.dtype.itemsize}")


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    out = {}
    for level in LEVELS:
        path = tmp_path_factory.mktemp(level) / "out.npz"
        env = dict(os.environ, ORT_ROI_ISA=level, PYTHONPATH=str(HERE))
        run = subprocess.run([sys.executable, str(HERE / "channels_last_levels.py"), str(path)],
                             env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-4000:]
        out[level] = dict(np.load(path))
    return out


@pytest.mark.parametrize("level", LEVELS[1:])
def test_every_level_gives_the_scalar_bits(levels, level):
    """Levels the processor lacks run the plain code (capped) and pass trivially."""
    for key, want in levels["scalar"].items():
        np.testing.assert_array_equal(bits(levels[level][key]), bits(want), err_msg=key)


@pytest.mark.parametrize("level", LEVELS)
def test_channels_last_and_channel_major_give_the_same_bits(levels, level):
    for key, covering in levels[level].items():
        if key.endswith(" covering"):
            sparse = levels[level][key.replace(" covering", " sparse")]
            np.testing.assert_array_equal(bits(covering[:len(sparse)]), bits(sparse),
                                          err_msg=key)
