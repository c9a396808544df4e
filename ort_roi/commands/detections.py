"""Detections that two runtimes give in another order, because their scores nearly tie.

A detector sorts its detections by score. Two runtimes round convolutions
differently (~1e-6 relative), so two detections whose scores are that close
can come out swapped: row 70 of one is row 71 of the other. Compared row by
row that is a mismatch of a whole box and mask, yet both runtimes found the
same detections. `pair_near_ties` finds such swaps and puts the rows back in
the reference's order, so that the comparison after it is of the same
detections; it reports every row it moved.

It pairs a row with another only where every output of the two rows agrees
within the tolerance and their scores are themselves within the tolerance of
each other: any other difference in order stays a mismatch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# The outputs torchvision's detectors give per detection (first dim: the count).
FIELDS = ("boxes", "labels", "scores", "masks", "keypoints", "keypoints_scores")
_NAME = re.compile(r"(?:(.*)\.)?(" + "|".join(FIELDS) + r")")


@dataclass
class Reordered:
    image: str        # the outputs' common prefix ("" for a single image's)
    rows: list[int]   # rows of the reference whose detection ours gave elsewhere
    score_gap: float  # largest score difference between rows that swapped


def detection_groups(names: list[str]) -> dict[str, dict[str, int]]:
    """{image prefix: {field: index of the output}} for outputs named as a
    detector's ("boxes", "1.boxes"); only groups that have scores and boxes."""
    groups: dict[str, dict[str, int]] = {}
    for index, name in enumerate(names):
        match = _NAME.fullmatch(name)
        if match:
            groups.setdefault(match.group(1) or "", {})[match.group(2)] = index
    return {k: v for k, v in groups.items() if {"scores", "boxes"} <= v.keys()}


def _close(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> bool:
    if a.shape != e.shape:
        return False
    if not np.issubdtype(e.dtype, np.floating):
        return bool(np.array_equal(a, e))
    return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def pair_near_ties(names: list[str], actual: list[np.ndarray], expected: list[np.ndarray],
                   rtol: float, atol: float) -> tuple[list[np.ndarray], list[Reordered]]:
    """`actual` with each image's detections in `expected`'s order where they
    differ only by near-tied scores; and what was moved."""
    actual = list(actual)
    moved = []
    for image, fields in detection_groups(names).items():
        columns = [i for i in fields.values()
                   if actual[i].ndim >= 1 and actual[i].shape[:1] == expected[i].shape[:1]]
        if len(columns) != len(fields):
            continue  # another number of detections: nothing to pair
        order = _pairing(actual, expected, columns, fields["scores"], rtol, atol)
        if order is None:
            continue
        rows = [i for i, j in enumerate(order) if i != j]
        for i in columns:
            actual[i] = actual[i][order]
        scores = expected[fields["scores"]].astype(np.float64)
        moved.append(Reordered(image, rows, float(max(abs(scores[i] - scores[order[i]])
                                                      for i in rows))))
    return actual, moved


def _pairing(actual, expected, columns, score, rtol, atol):
    """For each reference row, the row of ours holding the same detection, or
    None when some row has no such twin among near-tied scores, or when the
    order is already the same."""
    ours, theirs = actual[score].astype(np.float64), expected[score].astype(np.float64)
    count = len(theirs)

    def same(i: int, j: int) -> bool:
        return all(_close(actual[c][j], expected[c][i], rtol, atol) for c in columns)

    if all(same(i, i) for i in range(count)):
        return None
    order, used = [], set()
    for i in range(count):
        tied = lambda s: abs(s - theirs[i]) <= atol + rtol * abs(theirs[i])  # noqa: E731
        twin = next((j for j in range(count)
                     if j not in used and tied(ours[j]) and tied(theirs[j]) and same(i, j)), None)
        if twin is None:
            return None
        order.append(twin)
        used.add(twin)
    return order


def describe(moved: list[Reordered]) -> list[str]:
    return [f"{m.image + ': ' if m.image else ''}{len(m.rows)} detections (rows "
            f"{', '.join(map(str, m.rows[:8]))}{', ...' if len(m.rows) > 8 else ''}) came out "
            f"in another order, their scores within {m.score_gap:.2g} of each other; "
            "compared after pairing them" for m in moved]
