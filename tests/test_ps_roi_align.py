"""PSRoIAlign: parity with torchvision.ops.ps_roi_align where it is particular
(NaN and -0 from its unclamped division, random boxes), the oldest supported
ONNX Runtime, the NumPy API. The cases it shares with the other roi pooling
ops, the oldest supported ONNX Runtime included, are in test_roi_pooling.py."""

import numpy as np
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from ort_roi import ops
from roi_cases import PS_ROI_ALIGN as OP
from roi_cases import rois_of
from support import DTYPES, assert_close, random_rois


def test_zero_grid_is_nan_and_one_inverted_side_is_negative_zero_as_in_torchvision():
    # torchvision divides by grid_h * grid_w unclamped. An adaptive grid of 0
    # (a box of zero size) gives 0 / 0; a box inverted on one side only has
    # a negative grid there, hence 0 / negative = -0. ort_roi keeps both.
    x = OP.feature(np.random.default_rng(4), 1, 2, 10, 12, 2, 2, np.float32) + 5
    rois = rois_of([[0, 4, 4, 4, 4], [0, 1, 6, 7, 1], [0, 9, 8, 2, 1], [0, 1, 1, 7, 6]],
                   np.float32)
    y, ref = OP.ours(x, rois, 2, 2, 1.0, -1), OP.theirs(x, rois, 2, 2, 1.0, -1)
    assert np.isnan(y[0]).all() and np.isnan(ref[0]).all()
    assert (y[1] == 0).all() and np.signbit(y[1]).all() and np.signbit(ref[1]).all()
    assert (y[2] == 0).all() and not np.signbit(y[2]).any()  # both sides negative: +0
    assert np.isfinite(y[3]).all() and (y[3] != 0).all()
    # A fixed sampling ratio never divides by zero: the point box is sampled.
    assert np.isfinite(OP.ours(x, rois[:1], 2, 2, 1.0, 2)).all()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c_out=st.integers(1, 4), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 5), ow=st.integers(1, 5),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), ratio=st.integers(-1, 4),
    dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random(n, c_out, h, w, k, oh, ow, scale, ratio, dtype, seed):
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, n, c_out, h, w, oh, ow, dtype)
    rois = random_rois(rng, k, n, max(h, w) / scale, dtype)
    OP.check(x, rois, oh, ow, scale, ratio)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 10), oh=st.integers(1, 4),
    ow=st.integers(1, 4), ratio=st.integers(-1, 3), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random_integer_corners_in_any_order(h, w, k, oh, ow, ratio, dtype, seed):
    # Whole-pixel corners drawn in any order: zero-size, inverted and
    # one-side-inverted boxes are frequent, and with them torchvision's NaN and -0.
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, 2, 2, h, w, oh, ow, dtype)
    corners = rng.integers(-3, max(h, w) + 3, (k, 4))
    rois = np.concatenate([rng.integers(0, 2, (k, 1)), corners], axis=1).astype(dtype)
    OP.check(x, rois, oh, ow, 1.0, ratio)


def test_numpy_api_accepts_every_box_format():
    rng = np.random.default_rng(5)
    x = OP.feature(rng, 2, 3, 16, 20, 2, 2, np.float32)
    per_image = [np.array([[1, 2, 9, 12], [0, 0, 15, 15]], np.float32),
                 np.array([[3, 3, 8, 6]], np.float32)]
    ref = torchvision.ops.ps_roi_align(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                       2, 0.5, 2).numpy()
    assert_close(ops.ps_roi_align(x, per_image, 2, 0.5, 2), ref, np.float32)
    assert_close(ops.ps_roi_align(x, ops.to_rois(per_image, np.float32), (2, 2), 0.5, 2), ref,
                 np.float32)
    assert_close(ops.ps_roi_align(x, np.concatenate(per_image), 2, 0.5, 2, boxes_num=[2, 1]), ref,
                 np.float32)
    assert ops.ps_roi_align(x.astype(np.float64), per_image, 2).dtype == np.float64
