"""MultiScaleRoIAlign on CUDA: parity with torchvision's module on CUDA, and
with our CPU kernel as close as torchvision's CUDA and CPU are, on the CPU
suite's cases; the level of every box near a
level boundary exactly the CPU kernel's; placement on the GPU; what is
particular to CUDA (an invalid batch index gives zeros, at most 8 maps)."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from cuda_support import cuda_session, providers_by_node, run_cuda
from support import DTYPES, assert_close, one_node_model
from test_cuda_body_multi_scale_roi_align import boundary_boxes, level_maps, level_of
from test_multi_scale_roi_align import IMAGE, pyramid, spread_boxes
from test_roi_pooling_cuda import assert_gap_is_torchvisions

from ort_roi import ops

DTYPE_IDS = dict(ids=lambda d: np.dtype(d).name)


def inputs_of(maps, rois):
    return {"rois": rois, **{f"X_{i}": m for i, m in enumerate(maps)}}


def ours_cuda(maps, rois, oh, ow, scales, ratio=-1, s0=224, lvl0=4, aligned=False):
    return run_cuda("MultiScaleRoIAlign", inputs_of(maps, rois), output_height=oh,
                    output_width=ow, sampling_ratio=ratio, spatial_scales=list(scales),
                    canonical_scale=s0, canonical_level=lvl0, aligned=int(aligned))


def torchvision_cuda(feats, boxes, output_size, ratio, s0, lvl0, image=IMAGE, device="cuda"):
    """The module on CUDA (or `device`), float16 inputs as float32 copies; and
    its scales."""
    m = torchvision.ops.MultiScaleRoIAlign(list(feats), output_size, ratio, canonical_scale=s0,
                                           canonical_level=lvl0)
    as32 = (lambda a: a.astype(np.float32) if a.dtype == np.float16 else a)
    x = OrderedDict((k, torch.from_numpy(as32(v)).to(device)) for k, v in feats.items())
    n = next(iter(feats.values())).shape[0]
    y = m(x, [torch.from_numpy(as32(b)).to(device) for b in boxes], [image] * n)
    return y.cpu().numpy(), m.scales


def check(feats, boxes, output_size, ratio, s0=224, lvl0=4, image=IMAGE):
    dtype = next(iter(feats.values())).dtype.type
    boxes = [b.astype(dtype) for b in boxes]
    expected, scales = torchvision_cuda(feats, boxes, output_size, ratio, s0, lvl0, image)
    maps = list(feats.values())
    rois = ops.to_rois(boxes, dtype)
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    got = ours_cuda(maps, rois, oh, ow, scales, ratio, s0, lvl0)
    assert got.dtype == dtype
    assert_close(got, expected, dtype)
    # The kernel is built with contraction on, as torchvision's CUDA kernel
    # is: our CUDA and CPU results may differ as much as torchvision's do.
    cpu = ops.multi_scale_roi_align(maps, rois, (oh, ow), ratio, spatial_scales=scales,
                                    canonical_scale=s0, canonical_level=lvl0)
    theirs_cpu, _ = torchvision_cuda(feats, boxes, output_size, ratio, s0, lvl0, image, "cpu")
    assert_gap_is_torchvisions(got, cpu, expected, theirs_cpu, dtype)
    return got


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
@pytest.mark.parametrize("ratio", [-1, 2])
@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_matches_torchvision_cuda_and_our_cpu(levels, ratio, dtype):
    rng = np.random.default_rng(levels * 10 + ratio)
    feats = pyramid(rng, 2, 21, levels, dtype)
    boxes = [spread_boxes(rng, 40, 2, 1 + levels, s0=64, lvl0=3) for _ in range(2)]
    check(feats, boxes, 7, ratio, s0=64, lvl0=3)
    check(feats, boxes, (3, 5), ratio, s0=64, lvl0=3)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_degenerate_inverted_and_nan_boxes(dtype):
    rng = np.random.default_rng(6)
    feats = pyramid(rng, 2, 3, 3, dtype)
    rows = [[10, 10, 10, 10], [10, 12, 60, 12], [50, 40, 20, 90], [70, 60, 20, 10],
            [-30, -30, 200, 170], [np.nan, 1, 50, 50]]
    check(feats, [np.asarray(rows, np.float64), np.asarray(rows[::-1], np.float64)], 7, -1)


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_levels_near_boundaries_are_the_cpu_kernels(dtype):
    # The device maps boxes to levels without log2 (level_mapper.h): every
    # box must land where the CPU kernel puts it.
    feats = list(level_maps(dtype).values())
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64]
    for rng in (None, np.random.default_rng(1)):
        rois = ops.to_rois([boundary_boxes(dtype, rng)], dtype)
        got = ours_cuda(feats, rois, 2, 2, scales, 2)
        cpu = ops.multi_scale_roi_align(feats, rois, 2, 2, spatial_scales=scales)
        np.testing.assert_array_equal(level_of(got), level_of(cpu))


def test_large_batch_of_rois():
    rng = np.random.default_rng(2)
    feats = pyramid(rng, 2, 256, 4, np.float32, image=(800, 1024))
    boxes = [spread_boxes(rng, 1000, 2, 5, image=(800, 1024)) for _ in range(2)]
    check(feats, boxes, 7, 2, image=(800, 1024))


def test_runs_on_the_gpu_with_no_copies():
    rng = np.random.default_rng(3)
    maps = list(pyramid(rng, 1, 4, 3, np.float32).values())
    rois = ops.to_rois([spread_boxes(rng, 10, 2, 4)], np.float32)
    inputs = inputs_of(maps, rois)
    sess = cuda_session(one_node_model("MultiScaleRoIAlign", inputs, output_height=2,
                                       output_width=2, spatial_scales=[1 / 4, 1 / 8, 1 / 16]),
                        profile=True)
    sess.run(None, inputs)
    ran = providers_by_node(sess)
    assert set(ran.values()) == {"CUDAExecutionProvider"}, ran


@pytest.mark.parametrize("dtype", DTYPES, **DTYPE_IDS)
def test_invalid_batch_index_gives_zeros_on_cuda(dtype):
    rng = np.random.default_rng(4)
    maps = [m + 5 for m in pyramid(rng, 2, 3, 4, dtype).values()]
    rows = np.array([[b, 10, 10, 90, 70] for b in (2, -1, 0.5, np.nan, 1)]).astype(dtype)
    y = ours_cuda(maps, rows, 3, 3, [1 / 4, 1 / 8, 1 / 16, 1 / 32])
    assert (y[:4] == 0).all() and (y[4] != 0).all()


def test_more_than_eight_maps_are_refused_on_cuda():
    maps = [np.ones((1, 1, 4, 4), np.float32)] * 9
    rois = np.array([[0, 0, 0, 10, 10]], np.float32)
    with pytest.raises(InvalidArgument, match="on CUDA at most 8 feature maps are supported, got 9"):
        ours_cuda(maps, rois, 2, 2, [2.0 ** -(i + 2) for i in range(9)])
    y = ours_cuda(maps[:8], rois, 2, 2, [2.0 ** -(i + 2) for i in range(8)])
    assert (y == 1).all()
