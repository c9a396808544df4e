"""Random inputs shared by the cases: proposals in an image, NMS boxes."""

from __future__ import annotations

import numpy as np


def proposals(rng, k: int, height: int, width: int, batch: int = 1) -> np.ndarray:
    """k rois (batch index, x1, y1, x2, y2) in a height x width image, 8 px to half the image
    on a side, spread over `batch` images."""
    x1, y1 = rng.uniform(0, 0.9 * width, k), rng.uniform(0, 0.9 * height, k)
    w, h = rng.uniform(8, width / 2, k), rng.uniform(8, height / 2, k)
    b = rng.integers(0, batch, k)
    return np.stack([b, x1, y1, np.minimum(x1 + w, width), np.minimum(y1 + h, height)],
                    1).astype(np.float32)


def boxes_and_scores(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n boxes 10 to 200 px on a side in an 1000x1000 field, uniform scores: dense enough
    that NMS suppresses about half at IoU 0.5."""
    xy = rng.uniform(0, 800, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 200, (n, 2))], 1).astype(np.float32)
    return boxes, rng.uniform(0, 1, n).astype(np.float32)


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)
