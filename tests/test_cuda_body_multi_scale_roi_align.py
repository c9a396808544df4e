"""MultiScaleRoIAlign's CUDA thread body, run over its whole launch grid on
the host (host_grid.py), against the torchvision module on the cases of
test_multi_scale_roi_align.py; its level mapping against torchvision's and the
CPU kernel's at the level boundaries; and what is particular to CUDA: an
invalid batch index gives zeros, at most 8 feature maps.

The device maps a roi to its level without log2: it compares sqrt(area) /
canonical_scale with the ratios where the CPU's mapping steps up, found on the
host once per call (common/level_mapper.h). Boxes a few ulps around every
boundary check that both give the same level."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.ops.poolers import LevelMapper

import host_grid
from support import DTYPES, assert_close, reference_inputs, run_node
from test_multi_scale_roi_align import (DECIMAL_SCALES, IMAGE, decimal_scales_case, levels_of,
                                        pyramid, spread_boxes, theirs)

from ort_roi import ops

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)


def cuda_body(feats, boxes, output_size, ratio, scales, s0=224, lvl0=4, aligned=False):
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    maps = list(feats.values()) if isinstance(feats, dict) else list(feats)
    rois = boxes if isinstance(boxes, np.ndarray) else ops.to_rois(boxes, maps[0].dtype)
    return host_grid.multi_scale_roi_align(maps, rois, oh, ow, scales, ratio, s0, lvl0, aligned)


def level_of(y):
    """The level that pooled each roi, from maps that hold level + 1 everywhere."""
    return np.rint(y.astype(np.float64)[:, 0, 0, 0]).astype(int) - 1


def check(feats, boxes, output_size=7, ratio=-1, s0=224, lvl0=4, image=IMAGE):
    dtype = next(iter(feats.values())).dtype.type
    boxes = [b.astype(dtype) for b in boxes]
    expected, module = theirs(feats, boxes, output_size, ratio, s0, lvl0, image)
    got = cuda_body(feats, boxes, output_size, ratio, module.scales, s0, lvl0)
    assert got.dtype == dtype
    assert_close(got, expected, dtype)
    return got, module


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("ratio", [-1, 2])
@pytest.mark.parametrize("size", [7, 14])
@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_levels_on_every_image(levels, size, ratio, dtype):
    rng = np.random.default_rng(levels * 100 + size + ratio)
    feats = pyramid(rng, 2, 5, levels, dtype)
    boxes = [spread_boxes(rng, 12, 2, 1 + levels, s0=64, lvl0=3) for _ in range(2)]
    _, module = check(feats, boxes, size, ratio, s0=64, lvl0=3)
    if levels > 1:  # every level gets rois, from both images
        for b in boxes:
            assert set(levels_of(module, [b.astype(dtype)])) == set(range(levels))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("canonical", [(224, 4), (56, 2), (112, 5), (300, 3), (32, 6)])
def test_canonical_scale_and_level(canonical, dtype):
    s0, lvl0 = canonical
    rng = np.random.default_rng(s0 + lvl0)
    feats = pyramid(rng, 3, 4, 4, dtype)
    check(feats, [spread_boxes(rng, 10, 2, 5, s0, lvl0) for _ in range(3)], 7, 2, s0, lvl0)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_levels_that_get_no_roi(dtype):
    rng = np.random.default_rng(5)
    feats = pyramid(rng, 2, 6, 5, dtype)
    boxes = [spread_boxes(rng, 12, 2, 5)[[0, 4, 6, 10]] for _ in range(2)]
    _, module = check(feats, boxes, 7, -1)
    assert set(levels_of(module, [b.astype(dtype) for b in boxes])) == {0, 3}


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("levels", [1, 3])
def test_degenerate_and_inverted_boxes(levels, dtype):
    rng = np.random.default_rng(6)
    feats = pyramid(rng, 2, 3, levels, dtype)
    rows = [[10, 10, 10, 10], [10, 12, 60, 12], [50, 40, 20, 90], [70, 60, 20, 10],
            [-30, -30, 200, 170]]
    boxes = [np.asarray(rows, np.float64), np.asarray(rows[::-1], np.float64)]
    got, _ = check(feats, boxes, 7, -1)
    if levels > 1:  # negative area: no level, zeros
        assert (got[[2, 7]] == 0).all()
    check(feats, boxes, 3, 2)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_non_finite_boxes_give_zeros(dtype):
    rng = np.random.default_rng(7)
    feats = pyramid(rng, 1, 3, 3, dtype)
    rows = np.asarray([[np.nan, 1, 50, 50], [1, 1, 50, np.nan], [5, 5, 60, 60]])
    check(feats, [rows], 7, 2)  # torchvision leaves NaN boxes zero
    rows = np.concatenate([rows, [[0, 0, np.inf, 40], [-np.inf, 0, 3, 3]]]).astype(dtype)
    scales = [1 / 4, 1 / 8, 1 / 16]
    for maps in (list(feats.values())[:1], list(feats.values())):
        y = cuda_body(maps, [rows], 7, 2, scales[:len(maps)])
        assert (y[[0, 1, 3, 4]] == 0).all() and (y[2] != 0).any()
        assert_close(y, ops.multi_scale_roi_align(maps, [rows], 7, 2,
                                                  spatial_scales=scales[:len(maps)]), dtype)


def test_scales_that_are_not_powers_of_two_match_in_float64():
    # The launcher reads the float32 attributes back as the binding does.
    feats, boxes, expected = decimal_scales_case()
    assert_close(cuda_body(feats, boxes, (5, 4), 2, DECIMAL_SCALES), expected, np.float64)


def test_scales_that_skip_a_level():
    # Index 2 (level 4) has no map: zeros, as torchvision leaves it.
    rng = np.random.default_rng(8)
    feats = pyramid(rng, 1, 4, 3, np.float32)
    del feats["1"]
    boxes = [spread_boxes(rng, 12, 2, 4)]
    got, module = check(feats, boxes, 5, 2)
    levels = levels_of(module, [b.astype(np.float32) for b in boxes])
    assert set(levels) == {0, 1, 2}
    assert (got[levels == 2] == 0).all() and (got[levels < 2] != 0).any()


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_no_rois(dtype):
    feats = pyramid(np.random.default_rng(9), 2, 3, 4, dtype)
    boxes = [np.zeros((0, 4), dtype), np.zeros((0, 4), dtype)]
    got, _ = check(feats, boxes, 7, 2)
    assert got.shape == (0, 3, 7, 7)


def boundary_boxes(dtype, rng=None):
    """Squares and wide boxes whose sqrt(area) straddles 112, 224, 448 and 896
    (the level boundaries with the canonical 224 / 4) by a few ulps and by
    relative steps around the +1e-6 where rounding decides; with `rng`, at
    random within 4e-6 (float16: 40 ulps) of them instead."""
    sides = []
    for edge in np.array([112, 224, 448, 896], dtype):
        if rng is not None:
            spread = max(4e-6, 40 * np.finfo(dtype).eps)
            rel = rng.uniform(-spread, spread, 100)
            sides += list((np.float64(edge) * (1 + rel)).astype(dtype))
            continue
        down = up = edge
        for _ in range(3):
            down, up = np.nextafter(down, dtype(0)), np.nextafter(up, dtype(np.inf))
            sides += [down, up]
        rel = np.array([-4e-6, -2e-6, -1e-6, -6e-7, -3e-7, -1e-7, 0, 1e-7, 3e-7, 1e-6, 4e-6])
        sides += list((np.float64(edge) * (1 + rel)).astype(dtype))
    sides = np.asarray(sides, np.float64)
    zero = np.zeros_like(sides)
    squares = np.stack([zero, zero, sides, sides], axis=1)
    wide = np.stack([zero, zero, sides * 1.25, sides * 0.8], axis=1)
    return np.concatenate([squares, wide]).astype(dtype)


def level_maps(dtype):
    """Five maps; level l's holds l + 1 everywhere, so the output names the level."""
    return OrderedDict((str(i), np.full((1, 1, 256 >> i, 256 >> i), i + 1, dtype))
                       for i in range(5))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_mapping_at_level_boundaries(dtype):
    feats = level_maps(dtype)
    boxes = [boundary_boxes(dtype)]
    got, module = check(feats, boxes, 2, 2, image=(1024, 1024))
    level = level_of(got)
    np.testing.assert_array_equal(level, levels_of(module, boxes))
    assert len(set(level)) == 5
    # The CPU kernel (log2 on the host) maps every box to the same level.
    cpu = ops.multi_scale_roi_align(list(feats.values()), boxes, 2, 2, spatial_scales=module.scales)
    np.testing.assert_array_equal(level, level_of(cpu))


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_mapping_near_level_boundaries_agrees_with_the_cpu_kernel(dtype):
    # Against the CPU kernel only: torch's CPU sqrt is not correctly rounded
    # (on an AVX-512 machine its vectorised float32 sqrt is an ulp off for about
    # one value in five, e.g. sqrt(200703.65625)), so for some of these boxes
    # torchvision's CPU mapper picks the other level; ours, the CPU kernel's
    # and CUDA's sqrt are correctly rounded.
    feats = level_maps(dtype)
    boxes = [boundary_boxes(dtype, np.random.default_rng(10))]
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64]
    level = level_of(cuda_body(feats, boxes, 2, 2, scales))
    cpu = ops.multi_scale_roi_align(list(feats.values()), boxes, 2, 2, spatial_scales=scales)
    np.testing.assert_array_equal(level, level_of(cpu))
    assert len(set(level)) == 5


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_mapping_steps_exactly_where_the_cpu_kernel_steps(dtype):
    # With canonical_scale 256 the ratio sqrt(area) / 256 of a square of side
    # s is exactly s / 256 (sqrt of a rounded square is exact), so squares of
    # consecutive sides take every ratio around the point where the level
    # steps up, 2^(j - 4) * 2^(-1e-6), the +1e-6 moving it below the power of
    # two: the device's first ratio of the next level must be the host's.
    feats = level_maps(dtype)
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64]
    sides = []
    for j in range(3, 7):
        side = dtype(256 * 2.0 ** (j - 4 - 1e-6))
        down = up = side
        sides.append(side)
        for _ in range(64):
            down, up = np.nextafter(down, dtype(0)), np.nextafter(up, dtype(np.inf))
            sides += [down, up]
    sides = np.asarray(sides, dtype)
    zero = np.zeros_like(sides)
    boxes = [np.stack([zero, zero, sides, sides], axis=1)]
    level = level_of(cuda_body(feats, boxes, 1, 1, scales, s0=256))
    cpu = ops.multi_scale_roi_align(list(feats.values()), boxes, 1, 1, spatial_scales=scales,
                                    canonical_scale=256)
    np.testing.assert_array_equal(level, level_of(cpu))
    for j in range(4):  # both levels on each side of every step
        assert {j, j + 1} <= set(level[j * 129:(j + 1) * 129])


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("canonical", [(224, 4), (56, 2), (300, 3)])
def test_mapping_agrees_with_the_cpu_kernel_on_random_boxes(canonical, dtype):
    # Boxes of every size from a pixel to 4000, centred on the origin so that
    # their one sample reads a map's corner; 6 levels.
    s0, lvl0 = canonical
    rng = np.random.default_rng(s0)
    maps = [np.full((1, 1, 4, 4), i + 1, dtype) for i in range(6)]
    scales = [2.0 ** -(i + 2) for i in range(6)]
    half = np.exp(rng.uniform(0, np.log(4000), (3000, 2))) / 2
    boxes = [np.concatenate([-half, half], axis=1).astype(dtype)]
    got = cuda_body(maps, boxes, 1, 1, scales, s0, lvl0)
    cpu = ops.multi_scale_roi_align(maps, boxes, 1, 1, spatial_scales=scales, canonical_scale=s0,
                                    canonical_level=lvl0)
    np.testing.assert_array_equal(level_of(got), level_of(cpu))
    assert len(set(level_of(got))) >= 4


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_aligned(dtype):
    rng = np.random.default_rng(10)
    feats = list(pyramid(rng, 2, 4, 4, dtype).values())
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    rois = ops.to_rois([spread_boxes(rng, 10, 2, 5) for _ in range(2)], dtype)
    got = cuda_body(feats, rois, (7, 5), 2, scales, aligned=True)
    tr, *tx = reference_inputs(rois, *feats)
    levels = LevelMapper(2, 5)([tr[:, 1:]])
    expected = torch.zeros(len(tr), 4, 7, 5, dtype=tr.dtype)
    for l, (x, s) in enumerate(zip(tx, scales)):
        idx = torch.where(levels == l)[0]
        expected[idx] = torchvision.ops.roi_align(x, tr[idx], (7, 5), s, 2, aligned=True)
    assert len(set(levels.tolist())) == 4
    assert_close(got, expected.numpy(), dtype)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_many_rois_and_channel_blocks(dtype):
    # 21 channels: two full blocks of 8 channels per thread and a partial one.
    rng = np.random.default_rng(11)
    feats = pyramid(rng, 3, 21, 4, dtype)
    boxes = [spread_boxes(rng, 50, 2, 5) for _ in range(3)]
    check(feats, boxes, (7, 5), -1)
    check(feats, boxes, 3, 2)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_invalid_batch_index_gives_zeros(dtype):
    # On CUDA a batch index outside [0, N) or not whole gives that roi zeros
    # (the CPU refuses it): reading it would cost a copy and a sync per call.
    rng = np.random.default_rng(12)
    feats = pyramid(rng, 2, 3, 4, dtype)
    maps = [m + 5 for m in feats.values()]
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    box = [10, 10, 90, 70]  # inside the image, pooled from level 0
    rows = np.array([[b] + box for b in (2, -1, 0.5, np.nan, np.inf, 1)]).astype(dtype)
    y = cuda_body(maps, rows, 3, 3, scales)
    assert (y[:5] == 0).all()
    good = rows[5:]
    expected = ops.multi_scale_roi_align(maps, good, 3, 3, spatial_scales=scales)
    assert (expected != 0).all()
    assert_close(y[5:], expected, dtype)


def test_at_most_eight_maps():
    maps = [np.ones((1, 1, 4, 4), np.float32)] * 9
    rois = np.array([[0, 0, 0, 10, 10]], np.float32)
    scales = [2.0 ** -(i + 2) for i in range(9)]
    y = cuda_body(maps[:8], rois, 2, 2, scales[:8])
    np.testing.assert_array_equal(y, ops.multi_scale_roi_align(maps[:8], rois, 2, 2,
                                                               spatial_scales=scales[:8]))
    with pytest.raises(AssertionError, match="returned -2"):
        cuda_body(maps, rois, 2, 2, scales)
    # The CPU kernel takes any number.
    y = run_node("MultiScaleRoIAlign", {"rois": rois, **{f"X_{i}": m for i, m in enumerate(maps)}},
                 output_height=2, output_width=2, spatial_scales=scales)
    assert y.shape == (1, 1, 2, 2) and (y == 1).all()


@settings(max_examples=40, deadline=None)
@given(
    levels=st.integers(1, 5), n=st.integers(1, 3), c=st.integers(1, 20), k=st.integers(0, 20),
    oh=st.integers(1, 8), ow=st.integers(1, 8), ratio=st.integers(-1, 3),
    s0=st.sampled_from([56, 112, 224, 448]), lvl0=st.integers(2, 6),
    dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random(levels, n, c, k, oh, ow, ratio, s0, lvl0, dtype, seed):
    rng = np.random.default_rng(seed)
    feats = pyramid(rng, n, c, levels, dtype)
    per_image = np.bincount(rng.integers(0, n, k), minlength=n)
    boxes = [spread_boxes(rng, m, 2, 1 + levels, s0, lvl0) for m in per_image]
    check(feats, boxes, (oh, ow), ratio, s0, lvl0)
