"""PSRoIPool: parity with torchvision.ops.ps_roi_pool where it is particular
(bins that skip the last row and column, half-pixel corners, random boxes),
the oldest supported ONNX Runtime, the NumPy API. The cases it shares with
the other roi pooling ops, the oldest supported ONNX Runtime included, are in test_roi_pooling.py."""

import numpy as np
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from ort_roi import ops
from roi_cases import PS_ROI_POOL as OP
from roi_cases import rois_of
from support import DTYPES, random_rois


def test_bins_average_and_skip_the_last_row_and_column():
    x = np.arange(30, dtype=np.float64).reshape(1, 1, 5, 6)
    y = OP.ours(x, rois_of([[0, 0, 0, 6, 5], [0, 2, 2, 2, 2], [0, 0, 0, 1, 1]], np.float64), 1, 1, 1.0)
    assert y.ravel().tolist() == [x[0, 0, :4, :5].mean(), 14.0, 0.0]
    assert (OP.ours(np.ones((1, 4, 1, 1)), rois_of([[0, 0, 0, 1, 1]], np.float64), 2, 2, 1.0) == 0).all()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3), c_out=st.integers(1, 4), h=st.integers(1, 24), w=st.integers(1, 24),
    k=st.integers(0, 12), oh=st.integers(1, 5), ow=st.integers(1, 5),
    scale=st.sampled_from([1.0, 0.5, 0.25, 0.125, 2.0]), dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**31),
)
def test_random(n, c_out, h, w, k, oh, ow, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, n, c_out, h, w, oh, ow, dtype)
    OP.check(x, random_rois(rng, k, n, max(h, w) / scale, dtype), oh, ow, scale)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 10), oh=st.integers(1, 4),
    ow=st.integers(1, 4), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31),
)
def test_random_half_pixel_corners_in_any_order(h, w, k, oh, ow, dtype, seed):
    # Corners on half pixels test the rounding; any order gives zero-size and
    # inverted boxes often.
    rng = np.random.default_rng(seed)
    x = OP.feature(rng, 2, 2, h, w, oh, ow, dtype)
    corners = rng.integers(-6, 2 * max(h, w) + 6, (k, 4)) / 2
    rois = np.concatenate([rng.integers(0, 2, (k, 1)), corners], axis=1).astype(dtype)
    OP.check(x, rois, oh, ow, 1.0)


def test_numpy_api_accepts_every_box_format():
    rng = np.random.default_rng(5)
    x = OP.feature(rng, 2, 3, 16, 20, 2, 3, np.float32)
    per_image = [np.array([[1, 2, 9, 12], [0, 0, 15, 15]], np.float32),
                 np.array([[3, 3, 8, 6]], np.float32)]
    ref = torchvision.ops.ps_roi_pool(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                      (2, 3), 0.5).numpy()
    np.testing.assert_array_equal(ops.ps_roi_pool(x, per_image, (2, 3), 0.5), ref)
    np.testing.assert_array_equal(ops.ps_roi_pool(x, ops.to_rois(per_image, np.float32), (2, 3), 0.5), ref)
    np.testing.assert_array_equal(
        ops.ps_roi_pool(x, np.concatenate(per_image), (2, 3), 0.5, boxes_num=[2, 1]), ref)
    assert ops.ps_roi_pool(x.astype(np.float16), per_image, (2, 3)).dtype == np.float16
