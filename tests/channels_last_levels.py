"""RoIPool, PSRoIPool and PSRoIAlign at this process's ORT_ROI_ISA level, on
the channels-last path and on the channel-major one: run by
tests/test_channels_last_pool.py once per level, in a subprocess (the level is
read once per process), which compares the levels' bits.

    ORT_ROI_ISA=avx2 python tests/channels_last_levels.py OUT.npz

Each case's rois come twice: alone (few small rois: the channel-major kernel)
and followed by rois that cover the map (the channels-last copy). Channel
counts leave vector tails at every width; the map holds NaN, infinities and
zeros of both signs.
"""

from __future__ import annotations

import sys

import numpy as np

from roi_cases import PS_ROI_ALIGN, PS_ROI_POOL, ROI_POOL

CHANNELS = (1, 3, 15, 16, 17, 33, 70)
DTYPES = (np.float32, np.float64, np.float16)


def special_map(rng, shape, dtype, infinities=True):
    """A random map with some NaN, zeros of both signs and (optionally) infinities."""
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=max(1, flat.size // 20), replace=False)
    specials = [np.nan, 0.0, -0.0] + ([np.inf, -np.inf] if infinities else [])
    flat[picks] = rng.choice(specials, size=picks.size)
    return x.astype(dtype)


def sparse_rois(n, nan=True):
    """Small rois, one wholly outside, one empty on the map, one inverted, and
    one with a NaN coordinate (torchvision's kernels may crash on it: our
    tests against torchvision leave it out)."""
    rows = [[i % n, 1, 1, 3, 2] for i in range(n)]
    rows += [[0, 40, 40, 50, 60], [0, 2.2, 2.2, 2.3, 2.3], [0, 4, 3, 1, 1]]
    rows += [[0, np.nan, 0, 2, 2]] if nan else []
    return np.asarray(rows, dtype=np.float64)


def covering_rois(n, h, w):
    rows = [[b, -3, -2, w + 3, h + 2] for b in range(n) for _ in range(2)]
    rows += [[b, 0, 0, w - 1, h - 1] for b in range(n)]
    rows += [[b, w / 3, h / 4, w, h] for b in range(n)]
    return np.asarray(rows, dtype=np.float64)


def run(rng) -> dict[str, np.ndarray]:
    out = {}
    n, h, w = 2, 9, 13
    for op in (ROI_POOL, PS_ROI_POOL, PS_ROI_ALIGN):
        for c in CHANNELS:
            for dtype in DTYPES:
                oh, ow = (3, 2) if op.position_sensitive else (4, 3)
                x = special_map(rng, (n, op.channels(c, oh, ow), h, w), dtype)
                sparse = sparse_rois(n).astype(dtype)
                both = np.concatenate([sparse, covering_rois(n, h, w).astype(dtype)])
                for name, rois in (("sparse", sparse), ("covering", both)):
                    key = f"{op.name} c={c} {np.dtype(dtype).name} {name}"
                    out[key] = op.ours(x, rois, oh, ow, 1.0, 2)
    return out


if __name__ == "__main__":
    np.savez(sys.argv[1], **run(np.random.default_rng(0)))
