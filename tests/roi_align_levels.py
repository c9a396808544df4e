"""RoIAlign and MultiScaleRoIAlign on the cases of test_roi_align_levels.py,
at the process's ORT_ROI_ISA level (read once per process, hence a script):
writes every output to the .npz file named by its argument.

    ORT_ROI_ISA=avx2 python tests/roi_align_levels.py out.npz
"""

from __future__ import annotations

import sys

import numpy as np

import ort_roi.ops as ops

DTYPES = (np.float32, np.float64, np.float16)
# Channel counts around every vector width (4, 8, 16 lanes) and the
# channels-last blocks (32 to 128 channels).
CHANNELS = (1, 3, 15, 16, 17, 31, 33, 257)


def rois_for(rng, k: int, n: int, h: int, w: int) -> np.ndarray:
    """Boxes of every kind on an [n, ., h, w] map at scale 1: the whole map,
    tiny, partly and wholly outside, then random ones."""
    fixed = [[0, 0, 0, w, h], [0, 2.2, 1.3, 2.6, 1.5], [0, -5, -3, w / 2, h / 2],
             [0, w - 2, h - 3, w + 6, h + 4], [0, w + 3, h + 3, w + 9, h + 8],
             [0, -9, -9, -2, -1], [0, 0.5, 0.5, w - 0.5, h - 0.5]]
    xy = rng.uniform(-3, [w, h], (k, 2))
    wh = rng.uniform(0, [w, h], (k, 2))
    rand = np.concatenate([rng.integers(0, n, (k, 1)), xy, xy + wh], 1)
    return np.concatenate([np.asarray(fixed, np.float64), rand])


def cases():
    """(name, function of no argument) for every case."""
    rng = np.random.default_rng(7)
    out = []
    for dtype in DTYPES:
        for c in CHANNELS:
            # Many rois on a small map: the channels-last path.
            x = rng.standard_normal((2, c, 11, 14)).astype(dtype)
            r = rois_for(rng, 40, 2, 11, 14).astype(dtype)
            for ratio in (-1, 2):
                for aligned in (False, True):
                    name = f"many_rois c={c} sr={ratio} aligned={aligned} {np.dtype(dtype).name}"
                    out.append((name, x, r, (3, 4), 1.0, ratio, aligned))
            # One small roi on a larger map: pooled from NCHW.
            x = rng.standard_normal((1, c, 40, 50)).astype(dtype)
            r = np.array([[0, 3.3, 4.1, 9.7, 8.2]], dtype)
            out.append((f"one_roi c={c} {np.dtype(dtype).name}", x, r, (2, 2), 1.0, 2, False))
        # Many rois in one corner of a larger map, on both images: only the
        # tiles they read are copied to channels-last.
        x = rng.standard_normal((2, 33, 70, 90)).astype(dtype)
        xy = rng.uniform(-2, 20, (300, 2))
        r = np.concatenate([rng.integers(0, 2, (300, 1)), xy, xy + rng.uniform(0, 12, (300, 2))], 1)
        out.append((f"clustered_rois {np.dtype(dtype).name}", x, r.astype(dtype), (2, 3), 1.0, -1,
                    True))
        # A few rois spread over a map, fewer bins than pixels: copied and
        # pooled a channel block at a time.
        x = rng.standard_normal((1, 70, 40, 50)).astype(dtype)
        out.append((f"spread_rois {np.dtype(dtype).name}", x,
                    rois_for(rng, 3, 1, 40, 50).astype(dtype), (3, 3), 1.0, 2, False))
        # Few rois, many channels; and many rois, few channels, at a scale.
        x = rng.standard_normal((1, 300, 9, 12)).astype(dtype)
        out.append((f"few_rois_many_channels {np.dtype(dtype).name}", x,
                    rois_for(rng, 2, 1, 36, 48).astype(dtype), (7, 7), 0.25, -1, False))
        x = rng.standard_normal((3, 2, 30, 25)).astype(dtype)
        out.append((f"many_rois_few_channels {np.dtype(dtype).name}", x,
                    rois_for(rng, 500, 3, 30, 25).astype(dtype), (5, 5), 1.0, 2, True))
    return out


def multi_scale_cases():
    rng = np.random.default_rng(11)
    out = []
    for dtype in DTYPES:
        for c in (3, 17, 64):
            feats = {str(i): rng.standard_normal((2, c, 64 // s, 96 // s)).astype(dtype)
                     for i, s in enumerate((4, 8, 16, 32))}
            xy = rng.uniform(-10, 300, (300, 2))
            boxes = [np.concatenate([xy, xy + rng.uniform(0, 250, (300, 2))], 1).astype(dtype)
                     for _ in range(2)]
            out.append((f"multi_scale c={c} {np.dtype(dtype).name}", feats, boxes))
    return out


def main() -> None:
    results = {}
    for name, x, r, size, scale, ratio, aligned in cases():
        results[name] = ops.roi_align(x, r, size, scale, ratio, aligned)
    for name, feats, boxes in multi_scale_cases():
        results[name] = ops.multi_scale_roi_align(feats, boxes, 7, 2,
                                                  image_shapes=[(256, 384)] * 2)
    np.savez(sys.argv[1], **results)


if __name__ == "__main__":
    main()
