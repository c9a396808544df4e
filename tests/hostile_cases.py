"""The hostile-input matrix: every op fed what a broken model or a hostile
client may send, and what each case must give.

One list, CASES, serves three readers: hostile_worker.py runs each case in a
forked child (a crash or a hang fails that case alone), test_hostile_inputs.py
asserts each result, and `python tests/hostile_cases.py` writes
docs/hostile-inputs.md from it (a test checks that the file is current).

A case expects one of:
  Refused(message): the op refuses the node with `message`, which starts
    with the op's name; at session creation for a bad attribute type, when
    the node runs for anything else;
  Output(expected, reference): this exact output; `reference` names the
    torchvision call the test also checks it against, in-process (the
    output is that call's alone when `expected` is None);
  Finite(shape): an output of that shape whose values are all finite (boxes
    far beyond any map, where torchvision's own work would be unbounded).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np
from onnx import TensorProto

F32, F64, F16 = np.float32, np.float64, np.float16
NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Refused:
    message: str
    at_creation: bool = False  # a bad attribute: refused when the session is created


@dataclass(frozen=True)
class Output:
    expected: Optional[np.ndarray]  # None: whatever `reference` gives
    reference: Optional[str] = None  # the torchvision call it must also equal


@dataclass(frozen=True)
class Finite:
    shape: tuple


@dataclass
class Case:
    op: str
    name: str
    inputs: dict  # input name -> array, in node order ("" for an absent optional input)
    expect: Union[Refused, Output, Finite]
    attrs: dict = field(default_factory=dict)
    out_type: Optional[int] = None  # the graph's output type, when not the first input's

    @property
    def id(self) -> str:
        return f"{self.op}-{self.name}"


def _x(n=1, c=2, h=4, w=4, dtype=F32):
    return np.arange(n * c * h * w, dtype=np.float64).reshape(n, c, h, w).astype(dtype) / 10


def _rois(*rows, dtype=F32):
    return np.array(rows, dtype=np.float64).reshape(-1, 5).astype(dtype)


ROI = (0, 0.5, 0.5, 3, 3)
SIZE = dict(output_height=2, output_width=2)


def _roi_op_cases(op: str, ps: bool, ratio: bool) -> list[Case]:
    """RoIAlign, RoIPool, PSRoIAlign, PSRoIPool: X [1, C, 4, 4] (C = 2, or
    8 = 2 * 2 * 2 for the position-sensitive ops), one roi, 2 x 2 bins."""
    c = 8 if ps else 2
    out_c = 2
    x, rois = _x(c=c), _rois(ROI)

    def case(name, expect, x=x, rois=rois, out_type=None, **attrs):
        return Case(op, name, {"X": x, "rois": rois}, expect, {**SIZE, **attrs}, out_type)

    def refused(name, message, **kw):
        return case(name, Refused(f"{op}: {message}"), **kw)

    batch = "input 'rois' row 0 has batch index {}, which is not an integer in [0, 1)"
    cases = [
        refused("X_rank_3", "input 'X' must have rank 4 [N, C, H, W], got shape [{}, 4, 4]".format(c),
                x=x[0]),
        refused("rois_rank_1", "input 'rois' must have shape [K, 5] (batch_index, x1, y1, x2, y2), "
                "got [5]", rois=rois[0]),
        refused("rois_4_columns", "input 'rois' must have shape [K, 5] (batch_index, x1, y1, x2, "
                "y2), got [1, 4]", rois=rois[:, 1:]),
        refused("X_int32", "input 'X' must be float32, float64 or float16, got int32",
                x=x.astype(np.int32)),
        refused("rois_float64_X_float32", "input 'rois' must have the feature map's type float32, "
                "got float64", rois=rois.astype(F64)),
        refused("rois_int64", "input 'rois' must have the feature map's type float32, got int64", rois=rois.astype(np.int64)),
        refused("batch_index_negative", batch.format(-1), rois=_rois((-1, *ROI[1:]))),
        refused("batch_index_N", batch.format(1), rois=_rois((1, *ROI[1:]))),
        refused("batch_index_fraction", batch.format(0.5), rois=_rois((0.5, *ROI[1:]))),
        refused("batch_index_nan", batch.format("nan"), rois=_rois((NAN, *ROI[1:]))),
        refused("N_0_with_a_roi", batch.replace("[0, 1)", "[0, 0)").format(0),
                x=_x(n=0, c=c)),
        refused("output_height_0", "attributes 'output_height' and 'output_width' must be "
                "positive, got 0 and 2", output_height=0),
        refused("output_width_negative", "attributes 'output_height' and 'output_width' must be "
                "positive, got 2 and -1", output_width=-1),
        refused("H_0", "input 'X' must have positive height and width, got shape "
                f"[1, {c}, 0, 4]", x=_x(c=c, h=0)),
        refused("W_0", "input 'X' must have positive height and width, got shape "
                f"[1, {c}, 4, 0]", x=_x(c=c, w=0)),
        refused("spatial_scale_nan", "attribute 'spatial_scale' must be a finite positive number, "
                "got nan", spatial_scale=NAN),
        case("K_0", Output(np.zeros((0, out_c, 2, 2), F32)), rois=_rois()),
        case("N_0_K_0", Output(np.zeros((0, out_c, 2, 2), F32)), x=_x(n=0, c=c), rois=_rois()),
        case("C_0", Output(np.zeros((1, 0, 2, 2), F32)), x=_x(c=0)),
        case("nan_coordinates", Output(np.zeros((1, out_c, 2, 2), F32)),
             rois=_rois((0, NAN, 0.5, 3, 3))),
        case("inf_coordinates", Output(np.zeros((1, out_c, 2, 2), F32)),
             rois=_rois((0, 0.5, 0.5, INF, 3))),
        case("minus_inf_coordinates", Output(np.zeros((1, out_c, 2, 2), F32)),
             rois=_rois((0, -INF, 0.5, 3, 3))),
        case("1e30_coordinates", Finite((2, out_c, 2, 2)),
             rois=_rois((0, -1e30, -1e30, 1e30, 1e30), (0, 0, 0, 1e30, 1e30))),
    ]
    if ps:
        cases += [
            refused("channels_not_divisible", "input 'X' has 6 channels, which is not a multiple "
                    "of output_height * output_width (2 * 2 = 4)", x=_x(c=6)),
            refused("bins_overflow", "input 'X' has 8 channels, which is not a multiple of "
                    "output_height * output_width (4294967296 * 4294967296)",
                    output_height=1 << 32, output_width=1 << 32),
            # X is empty (N = 0), so only the output would be large.
            refused("output_terabytes", "the output [1, 2, 524288, 524288] of float32 would take "
                    "2199023255552 bytes; at most 2^40 (1 TiB) is allowed",
                    x=np.zeros((0, 1 << 39, 4, 4), F32), output_height=1 << 19,
                    output_width=1 << 19),
            case("C_0_bins_overflow", Refused(f"{op}: the output [1, 0, 4294967296, 4294967296] of "
                 "float32 would take more than 2^63 bytes; at most 2^40 (1 TiB) is allowed"),
                 x=_x(c=0), output_height=1 << 32, output_width=1 << 32),
        ]
    else:
        cases += [
            refused("output_terabytes", "the output [1, 2, 1048576, 1048576] of float32 would take "
                    "8796093022208 bytes; at most 2^40 (1 TiB) is allowed",
                    output_height=1 << 20, output_width=1 << 20),
            refused("output_overflows", "the output [1, 2, 4294967296, 4294967296] of float32 "
                    "would take more than 2^63 bytes; at most 2^40 (1 TiB) is allowed",
                    output_height=1 << 32, output_width=1 << 32),
        ]
    if op == "PSRoIAlign":
        # A sample on the map's last row and column reads that pixel alone,
        # with weight 1; torchvision also adds 0 * pixel, NaN for inf.
        edge = np.ones((1, 1, 4, 4), F32)
        edge[0, 0, 3, 3] = INF
        cases.append(case("inf_pixel_at_the_edge", Output(np.full((1, 1, 1, 1), INF, F32)),
                          x=edge, rois=_rois((0, 3.5, 3.5, 3.5, 3.5)), output_height=1,
                          output_width=1, sampling_ratio=1))
    if ratio:
        cases.append(case("sampling_ratio_float", Refused(
            f"{op}: attribute 'sampling_ratio' must be an int, got a float", at_creation=True),
            sampling_ratio=2.0))
    cases += [
        case("output_height_float", Refused(
            f"{op}: attribute 'output_height' must be an int, got a float", at_creation=True),
            output_height=2.0),
        case("spatial_scale_int", Refused(
            f"{op}: attribute 'spatial_scale' must be a float, got an int", at_creation=True),
            spatial_scale=1),
    ]
    return cases


def _multi_scale_cases() -> list[Case]:
    op = "MultiScaleRoIAlign"
    x0, x1 = _x(h=8, w=8), _x(h=4, w=4)
    rois = _rois((0, 1, 1, 6, 6))
    attrs = dict(SIZE, spatial_scales=[1.0, 0.5])

    def case(name, expect, maps=(x0, x1), rois=rois, out_type=None, **extra):
        inputs = {"rois": rois, **{f"X_{i}": m for i, m in enumerate(maps)}}
        out_type = TensorProto.FLOAT if out_type is None else out_type
        return Case(op, name, inputs, expect, {**attrs, **extra}, out_type)

    def refused(name, message, **kw):
        return case(name, Refused(f"{op}: {message}"), **kw)

    batch = "input 'rois' row 0 has batch index {}, which is not an integer in [0, 1)"
    return [
        refused("no_feature_map", "needs at least one feature map input after 'rois'", maps=()),
        case("one_level", Output(None, reference="roi_align on X_0"),
             maps=(x0,), spatial_scales=[1.0]),
        refused("levels_differ_in_N", "input 'X_1' must have X_0's batch size and channels (N = 1, "
                "C = 2), got shape [2, 2, 4, 4]", maps=(x0, _x(n=2))),
        refused("levels_differ_in_C", "input 'X_1' must have X_0's batch size and channels (N = 1, "
                "C = 2), got shape [1, 3, 4, 4]", maps=(x0, _x(c=3))),
        refused("levels_differ_in_dtype", "input 'X_1' must have X_0's type float32, got float64",
                maps=(x0, x1.astype(F64))),
        refused("spatial_scales_count", "attribute 'spatial_scales' must have one value per "
                "feature map (2), got 1", spatial_scales=[1.0]),
        refused("X_rank_3", "input 'X_0' must have rank 4 [N, C, H, W], got shape [2, 8, 8]",
                maps=(x0[0], x1)),
        refused("rois_5_columns_missing", "input 'rois' must have shape [K, 5] (batch_index, x1, "
                "y1, x2, y2), got [1, 4]", rois=rois[:, 1:]),
        refused("rois_float64", "input 'rois' must have the feature map's type float32, got "
                "float64", rois=rois.astype(F64)),
        refused("rois_int64", "input 'rois' must have the feature map's type float32, got int64", rois=rois.astype(np.int64)),
        refused("batch_index_negative", batch.format(-1), rois=_rois((-1, 1, 1, 6, 6))),
        refused("batch_index_N", batch.format(1), rois=_rois((1, 1, 1, 6, 6))),
        refused("batch_index_fraction", batch.format(0.5), rois=_rois((0.5, 1, 1, 6, 6))),
        refused("batch_index_nan", batch.format("nan"), rois=_rois((NAN, 1, 1, 6, 6))),
        refused("H_0", "input 'X_1' must have positive height and width, got shape [1, 2, 0, 4]",
                maps=(x0, _x(h=0))),
        refused("output_height_0", "attributes 'output_height' and 'output_width' must be "
                "positive, got 0 and 2", output_height=0),
        refused("output_terabytes", "the output [1, 2, 1048576, 1048576] of float32 would take "
                "8796093022208 bytes; at most 2^40 (1 TiB) is allowed",
                output_height=1 << 20, output_width=1 << 20),
        case("K_0", Output(np.zeros((0, 2, 2, 2), F32)), rois=_rois()),
        case("nan_coordinates", Output(np.zeros((1, 2, 2, 2), F32)), rois=_rois((0, NAN, 1, 6, 6))),
        case("inf_coordinates", Output(np.zeros((1, 2, 2, 2), F32)), rois=_rois((0, 1, 1, INF, 6))),
        case("1e30_coordinates", Finite((1, 2, 2, 2)), rois=_rois((0, -1e30, -1e30, 1e30, 1e30))),
        case("sampling_ratio_float", Refused(
            f"{op}: attribute 'sampling_ratio' must be an int, got a float", at_creation=True),
            sampling_ratio=2.0),
        case("spatial_scales_ints", Refused(
            f"{op}: attribute 'spatial_scales' must be a list of floats, got a list of ints",
            at_creation=True), spatial_scales=[1, 2]),
    ]


BOXES = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], F32)
SCORES = np.array([0.9, 0.8, 0.7], F32)


def _nms_cases(op: str) -> list[Case]:
    batched = op == "BatchedNMS"
    idxs = np.zeros(3, np.int64)

    def case(name, expect, boxes=BOXES, scores=SCORES, idxs=idxs, **attrs):
        inputs = {"boxes": boxes, "scores": scores}
        if batched:
            inputs["idxs"] = idxs
        reference = "batched_nms" if batched else "nms"
        if isinstance(expect, Output) and expect.reference:
            expect = Output(expect.expected, reference)
        return Case(op, name, inputs, expect, {"iou_threshold": 0.5, **attrs}, TensorProto.INT64)

    def refused(name, message, **kw):
        return case(name, Refused(f"{op}: {message}"), **kw)

    def keep(*indices):
        return Output(np.array(indices, np.int64), reference="torchvision")

    shape = "input 'boxes' must have shape [N, 4] (x1, y1, x2, y2), got {}"
    cases = [
        refused("boxes_N_5", shape.format("[3, 5]"), boxes=np.zeros((3, 5), F32)),
        refused("boxes_rank_1", shape.format("[12]"), boxes=BOXES.ravel()),
        refused("boxes_int64", "input 'boxes' must be float32, float64 or float16, got int64",
                boxes=BOXES.astype(np.int64)),
        refused("scores_float64", "input 'scores' must have the type of 'boxes', float32, got "
                "float64", scores=SCORES.astype(F64)),
        refused("scores_int64", "input 'scores' must have the type of 'boxes', float32, got int64",
                scores=SCORES.astype(np.int64)),
        refused("scores_too_few", "input 'scores' must have shape [N] with N = 3 (one score per "
                "box), got [2]", scores=SCORES[:2]),
        refused("iou_threshold_nan", "attribute 'iou_threshold' must be a number, got NaN",
                iou_threshold=NAN),
        case("iou_threshold_int", Refused(
            f"{op}: attribute 'iou_threshold' must be a float, got an int", at_creation=True),
            iou_threshold=1),
        case("iou_threshold_negative", keep(0), iou_threshold=-0.5),
        case("N_0", keep(), boxes=np.zeros((0, 4), F32), scores=np.zeros(0, F32),
             idxs=np.zeros(0, np.int64)),
        case("nan_scores", keep(1, 2), scores=np.array([0.9, NAN, 0.7], F32)),
        case("nan_box", keep(0, 1, 2), boxes=np.array([[NAN, 0, 10, 10], *BOXES[1:]], F32)),
        case("inf_coordinates", keep(0, 1, 2),
             boxes=np.array([[0, 0, INF, INF], [1, 1, 10, 10], [-INF, 20, 30, 30]], F32)),
        case("1e30_coordinates", keep(0, 1, 2),
             boxes=np.array([[0, 0, 1e30, 1e30], [1, 1, 1e30, 1e30], [-1e30, 20, 30, 30]], F32)),
    ]
    if batched:
        cases += [
            refused("idxs_float32", "input 'idxs' must be int64, got float32",
                    idxs=idxs.astype(F32)),
            refused("idxs_int32", "input 'idxs' must be int64, got int32", idxs=idxs.astype(np.int32)),
            refused("idxs_too_few", "input 'idxs' must have shape [N] with N = 3 (one class per "
                    "box), got [2]", idxs=idxs[:2]),
            case("idxs_negative", keep(0, 1, 2), idxs=np.array([-1, -2, -1], np.int64)),
            # The coordinate trick offsets boxes by idx * (max + 1) in float32, which
            # at 2^62 collapses both boxes of that class to one point: no overlap.
            case("idxs_huge", keep(0, 1, 2), idxs=np.array([1 << 62, 1 << 62, 0], np.int64)),
            case("idxs_int64_extremes", keep(0, 1, 2),
                 idxs=np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0], np.int64)),
        ]
    return cases


def _deform_cases() -> list[Case]:
    op = "DeformConv2d"
    x = _x(c=2, h=4, w=4, dtype=F64)
    w = np.full((2, 2, 1, 1), 0.5, F64)
    offset = np.zeros((1, 2, 4, 4), F64)

    def case(name, expect, x=x, w=w, offset=offset, bias=None, mask=None, out_type=None, **attrs):
        inputs = {"X": x, "W": w, "offset": offset}
        if bias is not None or mask is not None:
            inputs["B"] = bias if bias is not None else ""
        if mask is not None:
            inputs["mask"] = mask
        return Case(op, name, inputs, expect, attrs, out_type or TensorProto.DOUBLE)

    def refused(name, message, **kw):
        return case(name, Refused(f"{op}: {message}"), **kw)

    return [
        refused("X_rank_3", "input 'X' must have rank 4 [N, Cin, H, W], got shape [2, 4, 4]",
                x=x[0]),
        refused("W_float32_X_float64", "input 'W' must have X's type float64, got float32", w=w.astype(F32)),
        refused("offset_float32_X_float64", "input 'offset' must have X's type float64, got "
                "float32", offset=offset.astype(F32)),
        refused("mask_float16_X_float64", "input 'mask' must have X's type float64, got float16", mask=np.ones((1, 1, 4, 4), F16)),
        refused("X_int32", "input 'X' must be float32, float64 or float16, got int32",
                x=x.astype(np.int32), out_type=TensorProto.INT32),
        refused("group_not_dividing_channels", "input 'X' has 2 channels, which is not a multiple "
                "of group 3", group=3),
        refused("W_channels_not_Cin_over_group", "input 'W' dim 1 must be Cin / group = 2 / 2 = 1, "
                "got shape [2, 2, 1, 1]", group=2),
        refused("offset_group_not_dividing_channels", "input 'X' has 2 channels, which is not a "
                "multiple of offset_group 3", offset_group=3, offset=np.zeros((1, 6, 4, 4), F64)),
        refused("offset_channels", "input 'offset' must have 2*offset_group*kh*kw = 2 channels, got "
                "shape [1, 4, 4, 4]", offset=np.zeros((1, 4, 4, 4), F64)),
        refused("offset_spatial", "input 'offset' must have the output's spatial size [4, 4], got "
                "shape [1, 2, 3, 4]", offset=np.zeros((1, 2, 3, 4), F64)),
        refused("offset_batch", "input 'offset' must have X's batch size 1, got shape [2, 2, 4, 4]",
                offset=np.zeros((2, 2, 4, 4), F64)),
        refused("mask_channels", "input 'mask' must have offset_group*kh*kw = 1 channels, got shape "
                "[1, 2, 4, 4]", mask=np.ones((1, 2, 4, 4), F64), bias=np.zeros(2, F64)),
        # B given as "" (absent) before a mask: ORT before 1.24 crashes on it
        # if the op has shape inference, which the library then leaves out.
        case("mask_without_B", Output(None, reference="deform_conv2d"), mask=np.full((1, 1, 4, 4), 0.5)),
        refused("bias_length", "input 'B' must have shape [Cout] = [2], got [3]",
                bias=np.zeros(3, F64)),
        refused("H_0", "the kernel (height 1, dilation 1) does not fit input 'X' height 0 plus pads "
                "0 + 0", x=_x(h=0, dtype=F64), offset=np.zeros((1, 2, 0, 4), F64)),
        refused("kernel_larger_than_X", "the kernel (height 5, dilation 1) does not fit input 'X' "
                "height 4 plus pads 0 + 0", w=np.zeros((2, 2, 5, 1), F64)),
        refused("stride_0", "attribute 'strides' values must be in [1, 2147483647], got [0, 1]",
                strides=[0, 1]),
        refused("pads_huge", "attribute 'pads' values must be in [0, 2147483647], got "
                "[4294967296, 0, 0, 0]", pads=[1 << 32, 0, 0, 0]),
        refused("output_terabytes", "the output [1, 1099511627776, 4, 4] of float64 would take "
                "140737488355328 bytes; at most 2^40 (1 TiB) is allowed",
                x=_x(c=0, dtype=F64), w=np.zeros((1 << 40, 0, 1, 1), F64)),
        case("N_0", Output(np.zeros((0, 2, 4, 4), F64)), x=_x(n=0, dtype=F64),
             offset=np.zeros((0, 2, 4, 4), F64)),
        case("Cin_0", Output(np.zeros((1, 2, 4, 4), F64)), x=_x(c=0, dtype=F64),
             w=np.zeros((2, 0, 1, 1), F64)),
        case("Cout_0", Output(np.zeros((1, 0, 4, 4), F64)), w=np.zeros((0, 2, 1, 1), F64)),
        # No reference: torchvision's deform_conv2d crashes on NaN offsets.
        case("nan_offsets", Output(np.zeros((1, 2, 4, 4), F64)),
             offset=np.full((1, 2, 4, 4), NAN)),
        case("inf_offsets", Output(np.zeros((1, 2, 4, 4), F64), reference="deform_conv2d"),
             offset=np.full((1, 2, 4, 4), INF)),
        case("1e30_offsets", Output(np.zeros((1, 2, 4, 4), F64), reference="deform_conv2d"),
             offset=np.full((1, 2, 4, 4), 1e30)),
        case("group_float", Refused(f"{op}: attribute 'group' must be an int, got a float",
                                    at_creation=True), group=1.0),
        case("strides_floats", Refused(
            f"{op}: attribute 'strides' must be a list of ints, got a list of floats",
            at_creation=True), strides=[1.0, 1.0]),
    ]


CASES: list[Case] = [
    *_roi_op_cases("RoIAlign", ps=False, ratio=True),
    *_roi_op_cases("RoIPool", ps=False, ratio=False),
    *_roi_op_cases("PSRoIAlign", ps=True, ratio=True),
    *_roi_op_cases("PSRoIPool", ps=True, ratio=False),
    *_multi_scale_cases(),
    *_nms_cases("NMS"),
    *_nms_cases("BatchedNMS"),
    *_deform_cases(),
]
BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "case ids must be unique"

DOC = Path(__file__).resolve().parent.parent / "docs" / "hostile-inputs.md"


def _shape(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def result_text(case: Case) -> str:
    """The result column of the doc's table."""
    e = case.expect
    if isinstance(e, Refused):
        when = "at session creation" if e.at_creation else "when run"
        text = f"refused {when}: `{e.message}`"
        return text
    if isinstance(e, Finite):
        return f"finite values, shape {_shape(e.shape)}, in bounded time"
    if e.expected is None:
        return f"as torchvision's {e.reference}"
    y = e.expected
    if y.dtype == np.int64:
        text = f"keep {_shape(y.tolist())}"
    elif y.size == 0:
        text = f"empty, shape {_shape(y.shape)}"
    elif not y.any():
        text = f"zeros, shape {_shape(y.shape)}"
    else:
        text = f"shape {_shape(y.shape)}: {y.ravel().tolist()}"
    return text + (f", as torchvision's {e.reference}" if e.reference else "")


HEADER = """# Hostile inputs: what each op does with them

Every case below is a one-node model (domain `ort_roi`) fed input that a
broken exporter or a hostile client may send. `tests/test_hostile_inputs.py`
runs each case in a child process forked for it, so that a crash or a hang
fails that case by name, and asserts exactly the result given here. This file
is generated from the same case list (`tests/hostile_cases.py`): run
`python tests/hostile_cases.py` after changing a case, and a test checks that
it is current.

Results:

- **refused when run**: the run fails with ONNX Runtime's `INVALID_ARGUMENT`
  (`onnxruntime.capi.onnxruntime_pybind11_state.InvalidArgument` in Python)
  and the message shown, which names the op, the input or attribute and what
  is wrong. Nothing is allocated or read before the check: an output that
  would take more than 2^40 bytes (1 TiB), or whose size overflows, is
  refused before it is allocated.
- **refused at session creation**: an attribute of the wrong type (a float
  `sampling_ratio`, say) fails the session's creation with that message; ORT
  reports it as `RUNTIME_EXCEPTION` ("Exception during initialization").
- The same results on every ONNX Runtime release the library supports (the
  tests run in 1.21.0, 1.31.1 and 1.32.0): a wrong or mismatched dtype
  reaches the op's check there too, rather than ORT's "no kernel def matches
  node inputs" (see `kernels/ort/custom_op.h`).
- **zeros**: a roi with a non-finite coordinate (NaN, ±inf) pools to zeros.
  Coordinates like 1e30 finish in bounded time with finite values: the
  adaptive sampling grid is capped at 2^16 samples per bin side, where
  torchvision's work would be unbounded.
- NMS treats NaN as torchvision's CPU kernel does: a NaN score sorts first, a
  NaN box suppresses nothing and is never suppressed. BatchedNMS with huge or
  negative class indices gives what torchvision's `batched_nms` gives
  (its coordinate trick in the boxes' dtype).
- On CUDA, a roi batch index that is not a whole number in `[0, N)` gives
  that roi zeros instead of an error (checking it on the host would cost a
  copy and a sync per call); everything else is as here.
- PSRoIAlign with an infinite value in `X` on the map's last row or column:
  a sample there reads that pixel alone, with weight 1, and gives inf, where
  torchvision also adds the zero-weight taps of the same pixel and its
  `0 * inf` gives NaN (`inf_pixel_at_the_edge`). We keep this: the sample's
  value is the pixel's.
- torchvision itself crashes (segmentation fault) on two of these cases:
  `ps_roi_align` with NaN rois and `deform_conv2d` with NaN offsets. The
  tests never call it so in-process; ort_roi gives zeros for both.

| op | case | result |
|---|---|---|
"""


def doc() -> str:
    rows = [f"| {c.op} | `{c.name}` | {result_text(c)} |" for c in CASES]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.write_text(doc())
    print(f"wrote {DOC} ({len(CASES)} cases)", file=sys.stderr)
