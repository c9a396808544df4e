"""ort_roi.ops: the NumPy functions and the box formats they accept."""

import numpy as np
import pytest
import torch
import torchvision

from ort_roi import ops
from support import assert_close


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 16, 20)).astype(np.float32)
    per_image = [np.array([[1, 2, 9, 12], [0, 0, 15, 15]], np.float32),
                 np.array([[3, 3, 8, 6]], np.float32)]
    return x, per_image


def test_roi_align_accepts_torchvision_list_of_boxes(data):
    x, per_image = data
    ref = torchvision.ops.roi_align(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                    (3, 4), 0.5, 2, False).numpy()
    assert_close(ops.roi_align(x, per_image, (3, 4), 0.5, 2), ref, np.float32)


def test_roi_align_accepts_k5_rois_and_int_output_size(data):
    x, per_image = data
    rois = ops.to_rois(per_image, np.float32)
    assert rois[:, 0].tolist() == [0, 0, 1]
    ref = torchvision.ops.roi_align(torch.from_numpy(x), torch.from_numpy(rois), 5).numpy()
    assert_close(ops.roi_align(x, rois, 5), ref, np.float32)


def test_roi_align_paddle_convention_defaults_to_aligned(data):
    x, per_image = data
    boxes = np.concatenate(per_image)
    boxes_num = np.array([2, 1], np.int32)
    rois = torch.from_numpy(ops.to_rois(per_image, np.float32))
    aligned = torchvision.ops.roi_align(torch.from_numpy(x), rois, 2, 1.0, -1, True).numpy()
    unaligned = torchvision.ops.roi_align(torch.from_numpy(x), rois, 2, 1.0, -1, False).numpy()
    assert_close(ops.roi_align(x, boxes, 2, boxes_num=boxes_num), aligned, np.float32)
    assert_close(ops.roi_align(x, boxes, 2, boxes_num=boxes_num, aligned=False), unaligned,
                 np.float32)


def test_roi_pool_formats_agree(data):
    x, per_image = data
    ref = torchvision.ops.roi_pool(torch.from_numpy(x), [torch.from_numpy(b) for b in per_image],
                                   (2, 3), 0.5).numpy()
    np.testing.assert_array_equal(ops.roi_pool(x, per_image, (2, 3), 0.5), ref)
    np.testing.assert_array_equal(
        ops.roi_pool(x, np.concatenate(per_image), (2, 3), 0.5, boxes_num=[2, 1]), ref)


def test_boxes_are_cast_to_the_input_type(data):
    x, per_image = data
    y = ops.roi_align(x.astype(np.float64), per_image, 2)
    assert y.dtype == np.float64


def test_empty_box_list_gives_no_rows(data):
    x, _ = data
    assert ops.roi_align(x, [np.zeros((0, 4)), np.zeros((0, 4))], 2).shape == (0, 4, 2, 2)


@pytest.mark.parametrize("boxes, boxes_num, message", [
    (np.zeros((3, 4)), [1, 1], "does not add up"),
    (np.zeros((3, 5)), [3], "with boxes_num, boxes must be"),
    (np.zeros((3, 3)), None, "boxes must be [K, 5]"),
    ([np.zeros((2, 5))], None, r"boxes[0] must be [L, 4]"),
])
def test_bad_box_formats_are_refused(data, boxes, boxes_num, message):
    x, _ = data
    with pytest.raises(ValueError) as err:
        ops.roi_align(x, boxes, 2, boxes_num=boxes_num)
    assert message in str(err.value)


def test_integer_input_is_refused(data):
    x, per_image = data
    with pytest.raises(TypeError, match="input must be float32, float64 or float16"):
        ops.roi_align(x.astype(np.int64), per_image, 2)
