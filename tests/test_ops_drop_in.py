"""ort_roi.ops as a drop-in for torchvision.ops on bad and empty input.

Each case runs torchvision and ort_roi.ops on the same input, in this process.
Where torchvision raises an exception of type E, ours raises one that is an E
too (and an ort_roi InvalidInputError, whose message names the op); where
torchvision returns, ours returns the same shape, dtype and values.

Cases where ort_roi.ops deliberately differs are listed apart, with why:
it takes more (boxes of another type are cast to the feature map's), or
it refuses what torchvision computes from undefined memory or turns into a
crash (those are never run through torchvision here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torchvision
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from ort_roi import ops
from ort_roi.errors import InvalidDtypeError, InvalidInputError

F32, F64, F16 = np.float32, np.float64, np.float16
RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 8, 10, 12)).astype(F32)  # 8 channels: 2 for PS ops at 2 x 2
ROIS = np.array([[0, 1, 1, 6, 6], [1, 2, 0, 9, 7]], F32)
NO_ROIS = np.zeros((0, 5), F32)
BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], F32)
SCORES = np.array([0.9, 0.8, 0.7], F32)
LABELS = np.array([0, 0, 1])
DX = RNG.standard_normal((2, 4, 6, 6)).astype(F32)
DW = RNG.standard_normal((3, 4, 3, 3)).astype(F32)
DOFF = RNG.standard_normal((2, 18, 4, 4)).astype(F32)
DMASK = RNG.random((2, 9, 4, 4)).astype(F32)
DBIAS = RNG.standard_normal(3).astype(F32)
MAPS = {"0": RNG.standard_normal((2, 4, 16, 16)).astype(F32),
        "1": RNG.standard_normal((2, 4, 8, 8)).astype(F32)}
PER_IMAGE = [np.array([[1, 1, 20, 20]], F32), np.array([[0, 0, 60, 60], [3, 3, 9, 9]], F32)]
SIZES = [(64, 64), (64, 64)]
ONNX_NAMES = {"roi_align": "RoIAlign", "roi_pool": "RoIPool", "ps_roi_align": "PSRoIAlign",
              "ps_roi_pool": "PSRoIPool", "nms": "NMS", "batched_nms": "BatchedNMS",
              "deform_conv2d": "DeformConv2d", "multi_scale_roi_align": "MultiScaleRoIAlign"}


def _torch(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, list):
        return [_torch(v) for v in value]
    if isinstance(value, dict):
        return {k: _torch(v) for k, v in value.items()}
    return value


def _torchvision_multi_scale(features, boxes, output_size, sampling_ratio, image_shapes):
    pooler = torchvision.ops.MultiScaleRoIAlign(list(features), output_size, sampling_ratio)
    return pooler(features, boxes, image_shapes)


@dataclass
class Case:
    op: str
    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.op}-{self.name}"

    def theirs(self):
        if self.op == "multi_scale_roi_align":
            features, boxes, size = self.args
            return _torchvision_multi_scale(_torch(features), _torch(boxes), size, 2,
                                            self.kwargs["image_shapes"])
        return getattr(torchvision.ops, self.op)(*_torch(list(self.args)), **self.kwargs)

    def ours(self):
        if self.op == "multi_scale_roi_align":
            return ops.multi_scale_roi_align(*self.args, 2, **self.kwargs)
        return getattr(ops, self.op)(*self.args, **self.kwargs)


def _roi_cases(op):
    ps = op.startswith("ps")
    cases = [
        Case(op, "rois_K4", (X, ROIS[:, 1:], 2)),
        Case(op, "list_of_L5", (X, [ROIS], 2)),
        Case(op, "rois_rank_1", (X, ROIS[0], 2)),
        Case(op, "rois_rank_3", (X, ROIS[None], 2)),
        Case(op, "no_rois", (X, NO_ROIS, 2)),
        Case(op, "list_of_empty", (X, [np.zeros((0, 4), F32)] * 2, 2)),
        Case(op, "no_images_no_rois", (X[:0], NO_ROIS, 2)),
        Case(op, "zero_height_no_rois", (X[:, :, :0], NO_ROIS, 2)),
        Case(op, "zero_channels", (X[:, :0], ROIS, 2)),
        Case(op, "input_rank_3", (X[0], ROIS, 2)),
        Case(op, "int64_input", (X.astype(np.int64), ROIS.astype(np.int64), 2)),
        Case(op, "float16", (X.astype(F16), ROIS.astype(F16), 2)),
        Case(op, "float64", (X.astype(F64), ROIS.astype(F64), (2, 3) if not ps else (2, 2))),
    ]
    if ps:
        cases.append(Case(op, "channels_not_a_multiple", (X, ROIS, 3)))
    else:  # torchvision's PS ops die of SIGFPE on these
        cases += [Case(op, "output_size_0", (X, ROIS, 0)),
                  Case(op, "output_height_0", (X, ROIS, (0, 2))),
                  Case(op, "output_size_negative", (X, ROIS, (-1, 2)))]
    return cases


def _nms_cases(op):
    extra = (LABELS,) if op == "batched_nms" else ()
    with_idxs = (lambda *a: a[:2] + extra + a[2:])
    return [
        Case(op, "boxes_N5", with_idxs(np.c_[BOXES, SCORES], SCORES, 0.5)),
        Case(op, "boxes_rank_1", with_idxs(BOXES[0], SCORES[:1], 0.5)) if op == "nms" else None,
        Case(op, "scores_rank_2", with_idxs(BOXES, SCORES[:, None], 0.5)),
        Case(op, "scores_too_short", with_idxs(BOXES, SCORES[:2], 0.5)),
        Case(op, "float32_boxes_float64_scores", with_idxs(BOXES, SCORES.astype(F64), 0.5)),
        Case(op, "float64_boxes_float32_scores", with_idxs(BOXES.astype(F64), SCORES, 0.5)),
        Case(op, "int64_boxes", with_idxs(BOXES.astype(np.int64), SCORES, 0.5)),
        Case(op, "negative_threshold", with_idxs(BOXES, SCORES, -1.0)),
        Case(op, "float64", with_idxs(BOXES.astype(F64), SCORES.astype(F64), 0.5)),
    ]


NMS_CASES = [
    Case("nms", "no_boxes", (np.zeros((0, 4), F32), np.zeros(0, F32), 0.5)),
    Case("nms", "no_boxes_float64", (np.zeros((0, 4)), np.zeros(0), 0.5)),
    Case("nms", "no_boxes_but_scores", (np.zeros((0, 4), F32), SCORES, 0.5)),
    Case("nms", "no_boxes_N5", (np.zeros((0, 5), F32), np.zeros(0, F32), 0.5)),
]
EMPTY_BOXES = np.zeros((0, 4), F32)
BATCHED_NMS_CASES = [
    Case("batched_nms", "no_boxes", (EMPTY_BOXES, np.zeros(0, F32), np.zeros(0, np.int64), 0.5)),
    # torchvision returns before looking at the other arguments
    Case("batched_nms", "no_boxes_other_lengths", (EMPTY_BOXES, SCORES, np.zeros(5, F32), 0.5)),
    Case("batched_nms", "no_boxes_rank_1", (np.zeros(0, F32), np.zeros(0, F32), LABELS, 0.5)),
    Case("batched_nms", "no_boxes_int64", (np.zeros((0, 4), np.int64), SCORES, LABELS, 0.5)),
    Case("batched_nms", "no_boxes_float64_scores", (EMPTY_BOXES, np.zeros(0), LABELS, 0.5)),
    Case("batched_nms", "no_boxes_nothing_else", (np.zeros(0, np.int64), None, None, None)),
    Case("batched_nms", "idxs_float32_whole", (BOXES, SCORES, LABELS.astype(F32), 0.5)),
    Case("batched_nms", "idxs_int32", (BOXES, SCORES, LABELS.astype(np.int32), 0.5)),
    Case("batched_nms", "idxs_bool", (BOXES, SCORES, LABELS.astype(bool), 0.5)),
    Case("batched_nms", "idxs_negative", (BOXES, SCORES, -LABELS, 0.5)),
    Case("batched_nms", "idxs_too_short", (BOXES, SCORES, LABELS[:2], 0.5)),
    Case("batched_nms", "idxs_rank_2", (BOXES, SCORES, LABELS[:, None], 0.5)),
]


def _deform(name, x=DX, offset=DOFF, weight=DW, bias=None, stride=1, padding=0, dilation=1,
            mask=None):
    return Case("deform_conv2d", name, (x, offset, weight, bias, stride, padding, dilation, mask))


DEFORM_CASES = [
    _deform("weight_float32_input_float64", x=DX.astype(F64), offset=DOFF.astype(F64)),
    _deform("offset_float32_input_float64", x=DX.astype(F64), weight=DW.astype(F64)),
    _deform("mask_float64", mask=DMASK.astype(F64)),
    # a float32 weight (a module's default) on float64 input with a bad shape
    _deform("weight_float32_offset_17_channels", x=DX.astype(F64), offset=DOFF[:, :17].astype(F64)),
    _deform("weight_float32_mask_8_channels", x=DX.astype(F64), offset=DOFF.astype(F64),
            mask=DMASK[:, :8].astype(F64)),
    _deform("bias_float64", bias=DBIAS.astype(F64)),  # torchvision promotes the output
    _deform("bias_float16", bias=DBIAS.astype(F16)),
    _deform("int64", x=DX.astype(np.int64), offset=DOFF.astype(np.int64), weight=DW.astype(np.int64)),
    _deform("offset_17_channels", offset=DOFF[:, :17]),
    _deform("offset_0_channels", offset=DOFF[:, :0]),
    _deform("offset_wrong_size", offset=DOFF[:, :, :3]),
    _deform("offset_wrong_batch", offset=DOFF[:1]),
    _deform("mask_wrong_channels", mask=DMASK[:, :8]),
    _deform("mask_wrong_size", mask=DMASK[:, :, :3]),
    _deform("bias_wrong_length", bias=DBIAS[:2]),
    _deform("groups_do_not_divide_input", weight=DW[:, :3]),
    _deform("groups_do_not_divide_output", weight=DW[:, :2]),
    _deform("input_rank_3", x=DX[0]),
    _deform("weight_rank_3", weight=DW[0]),
    _deform("offset_rank_3", offset=DOFF[0]),
    _deform("no_images", x=DX[:0], offset=DOFF[:0]),
    _deform("no_output_channels", weight=DW[:0]),
    _deform("zero_height", x=DX[:, :, :0], offset=DOFF[:, :, :0]),
    _deform("kernel_larger_than_input", x=DX[:, :, :2], offset=DOFF[:, :, :0]),
    _deform("dilation_0", dilation=0),
    _deform("padding_negative", padding=-1),
    _deform("float16", x=DX.astype(F16), offset=DOFF.astype(F16), weight=DW.astype(F16),
            bias=DBIAS.astype(F16), mask=DMASK.astype(F16)),
]


def _multi_scale(name, features=MAPS, boxes=PER_IMAGE, size=2, image_shapes=SIZES):
    return Case("multi_scale_roi_align", name, (features, boxes, size),
                {"image_shapes": image_shapes})


MULTI_SCALE_CASES = [
    _multi_scale("no_boxes", boxes=[np.zeros((0, 4), F32)] * 2),
    _multi_scale("one_level_no_boxes", features={"0": MAPS["0"]}, boxes=[np.zeros((0, 4), F32)] * 2),
    _multi_scale("boxes_L5", boxes=[np.zeros((1, 5), F32)] * 2),
    _multi_scale("one_level_boxes_L5", features={"0": MAPS["0"]}, boxes=[np.zeros((1, 5), F32)] * 2),
    _multi_scale("no_image_shapes", image_shapes=[]),
    _multi_scale("no_feature_maps", features={}),
    _multi_scale("levels_with_different_channels", features={"0": MAPS["0"], "1": MAPS["1"][:, :3]}),
    _multi_scale("levels_of_different_dtypes", features={"0": MAPS["0"], "1": MAPS["1"].astype(F64)}),
    _multi_scale("int64_maps", features={k: v.astype(np.int64) for k, v in MAPS.items()}),
    _multi_scale("maps_rank_3", features={k: v[0] for k, v in MAPS.items()}),
    _multi_scale("output_size_0", size=0),
    _multi_scale("output_size_negative", size=(2, -1)),
]

SAME = ([c for op in ("roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool") for c in _roi_cases(op)]
        + [c for op in ("nms", "batched_nms") for c in _nms_cases(op) if c is not None]
        + NMS_CASES + BATCHED_NMS_CASES + DEFORM_CASES + MULTI_SCALE_CASES)


@pytest.mark.parametrize("case", SAME, ids=lambda c: c.id)
def test_same_outcome_as_torchvision(case):
    try:
        want = case.theirs()
    except Exception as theirs:  # noqa: BLE001 -- whatever torchvision raises, ours must be one
        with pytest.raises(type(theirs)) as ours:
            case.ours()
        assert isinstance(ours.value, InvalidInputError), repr(ours.value)
        message = str(ours.value)
        assert case.op in message or ONNX_NAMES[case.op] in message, message
        return
    got = case.ours()
    want = want.numpy()
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    if want.dtype.kind == "f":
        tolerance = 1e-2 if want.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    else:
        np.testing.assert_array_equal(got, want)


# Where ours returns and torchvision raises: ours takes more.
WIDER = [
    # Boxes are cast to the feature map's type (the NumPy API takes boxes as
    # they come, often float64); torchvision wants the same type.
    (Case("roi_align", "float64_rois", (X, ROIS.astype(F64), 2)), (2, 8, 2, 2)),
    (Case("roi_pool", "int64_rois", (X, ROIS.astype(np.int64), 2)), (2, 8, 2, 2)),
    (Case("ps_roi_align", "float64_input_float32_rois", (X.astype(F64), ROIS, 2)), (2, 2, 2, 2)),
    (_multi_scale("float64_boxes", boxes=[b.astype(F64) for b in PER_IMAGE]), (3, 4, 2, 2)),
    # An empty list of images is no boxes; torchvision's torch.cat refuses it.
    (Case("ps_roi_pool", "empty_list", (X, [], 2)), (0, 2, 2, 2)),
    (_multi_scale("empty_list", boxes=[]), (0, 4, 2, 2)),
    # Our NMS has float16 kernels; torchvision's CPU NMS has none.
    (Case("nms", "float16", (BOXES.astype(F16), SCORES.astype(F16), 0.5)), (2,)),
    # Our multi_scale_roi_align also takes [K, 5] rois.
    (_multi_scale("rois_K5", boxes=ROIS), (2, 4, 2, 2)),
]


@pytest.mark.parametrize("case, shape", WIDER, ids=lambda c: c.id if isinstance(c, Case) else "")
def test_ours_takes_more(case, shape):
    with pytest.raises(Exception):
        case.theirs()
    assert case.ours().shape == shape


# Where ours refuses and torchvision computes something: each is never run
# through torchvision when it crashes or reads out of bounds there.
REFUSED = [
    # torchvision: SIGFPE (division by the bin count or the stride).
    Case("ps_roi_align", "output_size_0", (X, ROIS, 0)),
    Case("ps_roi_pool", "output_height_0", (X, ROIS, (0, 2))),
    _deform("stride_0", stride=0),
    # torchvision reads out of bounds (a map of height 0; a level with fewer images).
    Case("roi_align", "zero_height", (X[:, :, :0], ROIS, 2)),
    Case("ps_roi_pool", "zero_height", (X[:, :, :0], ROIS, 2)),
    _multi_scale("levels_with_different_batch", features={"0": MAPS["0"], "1": MAPS["1"][:1]}),
    # torchvision keeps every box on a NaN threshold; ours calls NaN a mistake.
    Case("nms", "nan_threshold", (BOXES, SCORES, float("nan"))),
    # torchvision offsets boxes by fractional classes, merging or splitting them by path.
    Case("batched_nms", "idxs_fractional", (BOXES, SCORES, np.array([0, 0.5, 1], F32), 0.5)),
    # torchvision: ZeroDivisionError from its Python wrapper.
    _deform("zero_input_channels", x=DX[:, :0], weight=DW[:, :0]),
]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_ours_refuses(case):
    with pytest.raises(InvalidInputError) as ours:
        case.ours()
    message = str(ours.value)
    assert case.op in message or ONNX_NAMES[case.op] in message, message


def test_runtime_errors_keep_their_message_and_cause():
    with pytest.raises(InvalidInputError) as ours:
        ops.nms(BOXES[:, :3], SCORES, 0.5)
    assert isinstance(ours.value.__cause__, InvalidArgument)
    assert str(ours.value) == str(ours.value.__cause__)
    assert "NMS: input 'boxes'" in str(ours.value)


def test_dtype_mismatch_names_the_inputs_and_dtypes():
    with pytest.raises(InvalidDtypeError,
                       match="deform_conv2d: weight is float32 but input is float64"):
        ops.deform_conv2d(DX.astype(F64), DOFF.astype(F64), DW)
    with pytest.raises(InvalidDtypeError, match="nms: scores is float64 but boxes is float32"):
        ops.nms(BOXES, SCORES.astype(F64), 0.5)


@pytest.mark.parametrize("offset_channels, mask_channels, words", [
    (17, 9, "the shape of the offset"), (18, 8, r"mask.shape\[1\] is not valid")])
def test_deform_conv2d_reports_shapes_before_dtypes(offset_channels, mask_channels, words):
    """As torchvision does, and in words its messages use: code that matches
    them (torchvision's own tests do) keeps working."""
    x = DX.astype(F64)
    offset, mask = DOFF[:, :offset_channels].astype(F64), DMASK[:, :mask_channels].astype(F64)
    with pytest.raises(RuntimeError, match=words):
        torchvision.ops.deform_conv2d(*_torch([x, offset, DW]), mask=torch.from_numpy(mask))
    with pytest.raises(RuntimeError, match=words):
        ops.deform_conv2d(x, offset, DW, mask=mask)


def test_one_exception_type_is_what_torchvision_raises():
    for kind in (ValueError, RuntimeError, AssertionError, IndexError):
        assert issubclass(InvalidInputError, kind)
    for kind in (InvalidInputError, TypeError, NotImplementedError):
        assert issubclass(InvalidDtypeError, kind)
