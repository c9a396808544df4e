"""Box sets that test NMS's spatial search (kernels/nms/kept_grid.h): every
size from specks to boxes covering everything, wide and thin boxes, boxes of
zero area and inverted ones, exact duplicates, whole-number corners (exact
IoUs at the threshold), tied scores, and on request NaN and infinite values.
A search that skips a pair it should compare changes the keep list."""

import numpy as np


def crowded_boxes(rng: np.random.Generator, n: int, dtype, extent: float = 1000.0,
                  special: bool = False) -> np.ndarray:
    kind = rng.choice(8, n, p=[0.45, 0.1, 0.1, 0.05, 0.03, 0.12, 0.1, 0.05])
    xy = rng.uniform(-0.1 * extent, extent, (n, 2))
    # Sizes from half a unit to the whole extent, log-uniform.
    wh = np.exp(rng.uniform(np.log(0.5), np.log(extent), (n, 2)))
    wh[kind == 1] = np.stack([rng.uniform(0.3, 2) * extent * np.ones((kind == 1).sum()),
                              rng.uniform(0.5, 3, (kind == 1).sum())], 1)   # wide
    wh[kind == 2] = np.stack([rng.uniform(0.5, 3, (kind == 2).sum()),
                              rng.uniform(0.3, 2) * extent * np.ones((kind == 2).sum())], 1)  # thin
    wh[kind == 3, rng.integers(0, 2)] = 0                                   # zero area
    wh[kind == 4] = -wh[kind == 4]                                          # inverted
    boxes = np.concatenate([xy, xy + wh], 1)
    huge = kind == 5
    boxes[huge] = np.array([-2, -2, 3, 3]) * extent + rng.uniform(-1, 1, (huge.sum(), 4))
    near = kind == 6  # small moves of another box: the pairs near the threshold
    boxes[near] = boxes[rng.integers(0, n, near.sum())] + rng.normal(0, 2, (near.sum(), 4))
    dup = kind == 7
    boxes[dup] = boxes[rng.integers(0, n, dup.sum())]
    whole = rng.random(n) < 0.3
    boxes[whole] = np.round(boxes[whole] / 4) * 4
    if special:
        rows = rng.integers(0, n, max(1, n // 200))
        boxes[rows, rng.integers(0, 4, rows.size)] = rng.choice([np.nan, np.inf, -np.inf], rows.size)
    with np.errstate(over="ignore"):
        return boxes.astype(dtype)


def tied_scores(rng: np.random.Generator, n: int, dtype, nan: bool = False) -> np.ndarray:
    """Half the scores from 20 values (long runs of equal scores), half all different."""
    scores = np.where(rng.random(n) < 0.5, rng.choice(np.linspace(0, 1, 20), n), rng.random(n))
    if nan:
        scores[rng.random(n) < 0.01] = np.nan
    return scores.astype(dtype)


def contained_at_threshold(rng: np.random.Generator, pairs: int, threshold: float, dtype,
                           largest: float = 1000.0):
    """(boxes, scores): pairs of a kept box inside a wider or taller candidate,
    sharing the other axis and one edge, so that the IoU is the ratio of their
    widths (heights) and the candidate's overlap with the kept box is as small
    as an IoU above the threshold allows; IoUs a relative 1e-3 to 1e-7 above
    and below the threshold. Pairs lie apart, at random offsets and sizes from
    1 to `largest`, so that they meet the grid's cells everywhere."""
    rows, scores = [], []
    for i in range(pairs):
        size = float(np.exp(rng.uniform(0, np.log(largest))))
        x, y = (rng.uniform(0, 0.05 * largest) + 2.5 * largest * (i % 20),
                rng.uniform(0, 0.05 * largest) + 2.5 * largest * (i // 20))
        ratio = threshold * (1 + rng.choice([-1, 1]) * 10.0 ** -rng.integers(3, 8))
        inner = size * min(ratio, 1.0)
        other = size * rng.uniform(0.2, 2)
        big = [x, y, x + size, y + other]
        at_end = rng.random() < 0.5
        small = [x + size - inner if at_end else x, y, x + size if at_end else x + inner, y + other]
        if rng.random() < 0.5:  # the same along y
            big, small = [big[1], big[0], big[3], big[2]], [small[1], small[0], small[3], small[2]]
        rows += [small, big]
        scores += [1.0 - i / (2 * pairs), 0.5 - i / (2 * pairs)]
    return np.array(rows, np.float64).astype(dtype), np.array(scores).astype(dtype)
