"""ort_roi.commands.detections: rows swapped by near-tied scores are paired
before comparing; any other difference stays a mismatch."""

from __future__ import annotations

import numpy as np

from ort_roi.commands.detections import describe, detection_groups, pair_near_ties

NAMES = ["boxes", "labels", "scores", "masks"]
TOL = dict(rtol=1e-3, atol=1e-3)


def _detections(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (count, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 50, (count, 2))], 1).astype(np.float32)
    labels = rng.integers(1, 5, count).astype(np.int64)
    scores = np.sort(rng.uniform(0.3, 1.0, count))[::-1].astype(np.float32)
    masks = rng.random((count, 1, 12, 16)).astype(np.float32)
    return [boxes, labels, scores, masks]


def _swap(outputs: list[np.ndarray], i: int, j: int) -> list[np.ndarray]:
    order = np.arange(len(outputs[0]))
    order[[i, j]] = order[[j, i]]
    return [o[order] for o in outputs]


def test_groups_by_image_prefix():
    names = ["boxes", "labels", "scores", "1.boxes", "1.scores", "1.masks", "other"]
    assert detection_groups(names) == {"": {"boxes": 0, "labels": 1, "scores": 2},
                                       "1": {"boxes": 3, "scores": 4, "masks": 5}}


def test_rows_swapped_by_a_near_tie_are_paired():
    expected = _detections(10)
    expected[2][4] = expected[2][3] + 2e-6  # rows 3 and 4 nearly tie
    actual = _swap(expected, 3, 4)
    actual[2] = actual[2] + np.float32(1e-6)  # and another runtime's rounding
    paired, moved = pair_near_ties(NAMES, actual, expected, **TOL)
    for got, want in zip(paired, expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert len(moved) == 1 and moved[0].rows == [3, 4]
    assert moved[0].score_gap < 1e-5
    assert "2 detections (rows 3, 4)" in describe(moved)[0]


def test_same_order_moves_nothing():
    expected = _detections(6)
    paired, moved = pair_near_ties(NAMES, list(expected), expected, **TOL)
    assert moved == []
    assert all(p is e for p, e in zip(paired, expected))


def test_rows_with_distinct_scores_are_not_paired():
    expected = _detections(10)
    assert expected[2][3] - expected[2][4] > 1e-2
    actual = _swap(expected, 3, 4)
    paired, moved = pair_near_ties(NAMES, actual, expected, **TOL)
    assert moved == []
    assert not np.array_equal(paired[0], expected[0])


def test_a_changed_detection_is_not_paired():
    expected = _detections(10)
    expected[2][4] = expected[2][3]
    actual = _swap(expected, 3, 4)
    actual[3][3] += 0.5  # a mask that differs: not the same detection
    paired, moved = pair_near_ties(NAMES, actual, expected, **TOL)
    assert moved == []
    assert np.array_equal(paired[3], actual[3])


def test_another_count_is_left_alone():
    expected = _detections(5)
    actual = [o[:4] for o in expected]
    paired, moved = pair_near_ties(NAMES, actual, expected, **TOL)
    assert moved == [] and [p.shape for p in paired] == [a.shape for a in actual]
