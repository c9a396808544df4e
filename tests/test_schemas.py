"""ort_roi.schemas: the contract of DESIGN.md as onnx sees it, and shape inference."""

from __future__ import annotations

import subprocess
import sys

import onnx
import onnx.defs
import pytest
from onnx import TensorProto, helper
from onnx.defs import OpSchema
from onnx.shape_inference import InferenceError

import ort_roi.schemas as schemas

FLOAT, DOUBLE, HALF = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16
INT64 = TensorProto.INT64
Attr = OpSchema.AttrType


@pytest.fixture(autouse=True, scope="module")
def _registered():
    schemas.register()


def infer(op, inputs, domain="ort_roi", opset=1, **attrs):
    """Type of the only output of a one-node model after strict, type-checked inference.

    inputs: (elem_type, shape) per input, shape None for an unknown rank;
    None for an absent optional input.
    """
    names = [f"in{i}" if spec else "" for i, spec in enumerate(inputs)]
    node = helper.make_node(op, names, ["out"], domain=domain, **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info(n, *spec) for n, spec in zip(names, inputs) if spec],
        [helper.make_tensor_value_info("out", TensorProto.UNDEFINED, None)],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid(domain, opset)]
    )
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return inferred.graph.output[0].type.tensor_type


def dims(tensor_type):
    """Output dims as int (known), str (symbolic) or None (unknown)."""
    assert tensor_type.HasField("shape"), "inference stated no shape"
    out = []
    for d in tensor_type.shape.dim:
        if d.HasField("dim_value"):
            out.append(d.dim_value)
        elif d.HasField("dim_param") and not d.dim_param.startswith("unk__"):
            out.append(d.dim_param)
        else:  # onnx names dims nobody named "unk__<n>": still unknown
            out.append(None)
    return out


# ---------------------------------------------------------------- registry


def test_register_is_idempotent_and_reaches_onnx():
    schemas.register()
    schemas.register()
    for schema in schemas.SCHEMAS:
        registered = onnx.defs.get_schema(schema.name, schemas.VERSION, schemas.DOMAIN)
        assert registered.domain == "ort_roi"
        assert registered.since_version == 1
        assert registered.has_type_and_shape_inference_function


def test_public_api_lists_every_op_of_the_contract():
    assert schemas.DOMAIN == "ort_roi" and schemas.VERSION == 1
    assert [s.name for s in schemas.SCHEMAS] == [
        "RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "MultiScaleRoIAlign",
        "NMS", "BatchedNMS", "DeformConv2d",
    ]
    assert schemas.get("NMS") is schemas.SCHEMAS[5]
    with pytest.raises(KeyError, match="RoIAlign"):
        schemas.get("RoiAlign")


def test_import_does_not_import_torch():
    code = "import sys, ort_roi.schemas; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- the contract

OPT = OpSchema.FormalParameterOption
REQUIRED = object()  # marks a required attribute in the table below
NO_DEFAULT = None  # optional attribute that inference resolves itself

CONTRACT = {
    "RoIAlign": (
        [("X", OPT.Single), ("rois", OPT.Single)], ["Y"],
        {"output_height": (Attr.INT, REQUIRED), "output_width": (Attr.INT, REQUIRED),
         "spatial_scale": (Attr.FLOAT, 1.0), "sampling_ratio": (Attr.INT, -1),
         "aligned": (Attr.INT, 0)},
    ),
    "RoIPool": (
        [("X", OPT.Single), ("rois", OPT.Single)], ["Y"],
        {"output_height": (Attr.INT, REQUIRED), "output_width": (Attr.INT, REQUIRED),
         "spatial_scale": (Attr.FLOAT, 1.0)},
    ),
    "PSRoIAlign": (
        [("X", OPT.Single), ("rois", OPT.Single)], ["Y"],
        {"output_height": (Attr.INT, REQUIRED), "output_width": (Attr.INT, REQUIRED),
         "spatial_scale": (Attr.FLOAT, 1.0), "sampling_ratio": (Attr.INT, -1)},
    ),
    "PSRoIPool": (
        [("X", OPT.Single), ("rois", OPT.Single)], ["Y"],
        {"output_height": (Attr.INT, REQUIRED), "output_width": (Attr.INT, REQUIRED),
         "spatial_scale": (Attr.FLOAT, 1.0)},
    ),
    "MultiScaleRoIAlign": (
        [("rois", OPT.Single), ("X", OPT.Variadic)], ["Y"],
        {"output_height": (Attr.INT, REQUIRED), "output_width": (Attr.INT, REQUIRED),
         "sampling_ratio": (Attr.INT, -1), "spatial_scales": (Attr.FLOATS, REQUIRED),
         "canonical_scale": (Attr.INT, 224), "canonical_level": (Attr.INT, 4),
         "aligned": (Attr.INT, 0)},
    ),
    "NMS": (
        [("boxes", OPT.Single), ("scores", OPT.Single)], ["keep"],
        {"iou_threshold": (Attr.FLOAT, REQUIRED)},
    ),
    "BatchedNMS": (
        [("boxes", OPT.Single), ("scores", OPT.Single), ("idxs", OPT.Single)], ["keep"],
        {"iou_threshold": (Attr.FLOAT, REQUIRED), "strategy": (Attr.STRING, b"torchvision"),
         "cpu_trick_max_numel": (Attr.INT, 4000), "cuda_trick_max_numel": (Attr.INT, 100000)},
    ),
    "DeformConv2d": (
        [("X", OPT.Single), ("W", OPT.Single), ("offset", OPT.Single),
         ("B", OPT.Optional), ("mask", OPT.Optional)], ["Y"],
        {"dilations": (Attr.INTS, NO_DEFAULT), "group": (Attr.INT, 1),
         "kernel_shape": (Attr.INTS, NO_DEFAULT), "offset_group": (Attr.INT, 1),
         "pads": (Attr.INTS, NO_DEFAULT), "strides": (Attr.INTS, NO_DEFAULT)},
    ),
}


@pytest.mark.parametrize("op", list(CONTRACT))
def test_inputs_outputs_and_attributes_follow_the_contract(op):
    inputs, outputs, attributes = CONTRACT[op]
    schema = schemas.get(op)
    assert [(p.name, p.option) for p in schema.inputs] == inputs
    assert [p.name for p in schema.outputs] == outputs
    assert set(schema.attributes) == set(attributes)
    for name, (attr_type, expected) in attributes.items():
        spec = schema.attributes[name]
        assert spec.type == attr_type, name
        assert spec.required == (expected is REQUIRED), name
        default = spec.default_value
        if expected is REQUIRED or expected is NO_DEFAULT:
            assert default.type == onnx.AttributeProto.UNDEFINED, name
        else:
            assert default.type != onnx.AttributeProto.UNDEFINED, name
            assert helper.get_attribute_value(default) == pytest.approx(expected), name


@pytest.mark.parametrize("op", list(CONTRACT))
def test_type_constraints(op):
    schema = schemas.get(op)
    (constraint,) = schema.type_constraints
    assert constraint.type_param_str == "T"
    assert set(constraint.allowed_type_strs) == {"tensor(float)", "tensor(double)", "tensor(float16)"}
    int64_params = {p.name for p in (*schema.inputs, *schema.outputs) if p.type_str == "tensor(int64)"}
    assert int64_params == {"NMS": {"keep"}, "BatchedNMS": {"keep", "idxs"}}.get(op, set())


def test_multi_scale_feature_maps_are_homogeneous_and_at_least_one():
    (rois, features) = schemas.get("MultiScaleRoIAlign").inputs
    assert features.is_homogeneous and features.min_arity == 1
    assert rois.option == OPT.Single


def test_deform_conv2d_matches_onnx_deform_conv():
    ours, theirs = schemas.get("DeformConv2d"), onnx.defs.get_schema("DeformConv")
    assert [(p.name, p.option) for p in ours.inputs] == [(p.name, p.option) for p in theirs.inputs]
    assert set(ours.attributes) == set(theirs.attributes)
    for name, spec in theirs.attributes.items():
        mine = ours.attributes[name]
        assert (mine.type, mine.required) == (spec.type, spec.required), name
        assert mine.default_value.SerializeToString() == spec.default_value.SerializeToString(), name


# ---------------------------------------------------------------- RoI pooling


@pytest.mark.parametrize("op", ["RoIAlign", "RoIPool"])
@pytest.mark.parametrize("elem", [FLOAT, DOUBLE, HALF])
def test_roi_pooling_shape_and_type(op, elem):
    out = infer(op, [(elem, [2, 256, 50, 60]), (elem, [300, 5])], output_height=7, output_width=5)
    assert out.elem_type == elem
    assert dims(out) == [300, 256, 7, 5]


@pytest.mark.parametrize("op", ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool"])
def test_roi_pooling_keeps_symbolic_dims(op):
    out = infer(op, [(FLOAT, ["N", "C", "H", "W"]), (FLOAT, ["num_rois", 5])],
                output_height=2, output_width=3, spatial_scale=0.25)
    # A position-sensitive op divides C, which has no symbolic name.
    channels = None if op.startswith("PS") else "C"
    assert dims(out) == ["num_rois", channels, 2, 3]


def test_roi_align_of_unknown_shapes_still_has_rank_four():
    out = infer("RoIAlign", [(FLOAT, None), (FLOAT, None)], output_height=4, output_width=4)
    assert out.elem_type == FLOAT
    assert dims(out) == [None, None, 4, 4]


def test_roi_align_with_no_rois():
    out = infer("RoIAlign", [(FLOAT, [1, 8, 16, 16]), (FLOAT, [0, 5])], output_height=3, output_width=3)
    assert dims(out) == [0, 8, 3, 3]


@pytest.mark.parametrize("op", ["PSRoIAlign", "PSRoIPool"])
@pytest.mark.parametrize("elem", [FLOAT, HALF])
def test_position_sensitive_divides_channels(op, elem):
    out = infer(op, [(elem, [1, 2 * 3 * 4, 20, 20]), (elem, ["K", 5])], output_height=3, output_width=4)
    assert out.elem_type == elem
    assert dims(out) == ["K", 2, 3, 4]


@pytest.mark.parametrize("op", ["PSRoIAlign", "PSRoIPool"])
def test_position_sensitive_rejects_indivisible_channels(op):
    with pytest.raises(InferenceError, match=rf"{op}.*10 channels.*= 4"):
        infer(op, [(FLOAT, [1, 10, 20, 20]), (FLOAT, [3, 5])], output_height=2, output_width=2)


@pytest.mark.parametrize(
    "inputs, attrs, message",
    [
        ([(FLOAT, [1, 4, 8]), (FLOAT, [3, 5])], {}, "'X' must have rank 4"),
        ([(FLOAT, [1, 4, 8, 8]), (FLOAT, [3, 4])], {}, "'rois' must have 5 columns"),
        ([(FLOAT, [1, 4, 8, 8]), (FLOAT, [3, 5])], {"output_height": 0}, "'output_height' must be positive"),
    ],
)
def test_roi_align_rejects_malformed_nodes(inputs, attrs, message):
    attrs = {"output_height": 2, "output_width": 2, **attrs}
    with pytest.raises(InferenceError, match=f"RoIAlign: .*{message}"):
        infer("RoIAlign", inputs, **attrs)


def test_missing_required_attribute_fails():
    with pytest.raises(InferenceError, match="RoIAlign: attribute 'output_width' is required"):
        infer("RoIAlign", [(FLOAT, [1, 4, 8, 8]), (FLOAT, [3, 5])], output_height=2)


# ---------------------------------------------------------------- MultiScaleRoIAlign


def fpn(elem, channels, n="N"):
    return [(elem, [n, c, 200 // 2**i, 304 // 2**i]) for i, c in enumerate(channels)]


@pytest.mark.parametrize("elem", [FLOAT, DOUBLE, HALF])
def test_multi_scale_shape_and_type(elem):
    out = infer("MultiScaleRoIAlign", [(elem, [1000, 5]), *fpn(elem, [256] * 4)],
                output_height=7, output_width=7, spatial_scales=[0.25, 0.125, 0.0625, 0.03125])
    assert out.elem_type == elem
    assert dims(out) == [1000, 256, 7, 7]


def test_multi_scale_keeps_symbolic_dims():
    out = infer("MultiScaleRoIAlign", [(FLOAT, ["num_rois", 5]), *fpn(FLOAT, ["C", "C"])],
                output_height=14, output_width=14, spatial_scales=[0.25, 0.125])
    assert dims(out) == ["num_rois", "C", 14, 14]


def test_multi_scale_takes_channels_from_whichever_map_knows_them():
    out = infer("MultiScaleRoIAlign", [(FLOAT, ["K", 5]), *fpn(FLOAT, ["C", 64])],
                output_height=7, output_width=7, spatial_scales=[0.25, 0.125])
    assert dims(out) == ["K", 64, 7, 7]


@pytest.mark.parametrize(
    "channels, scales, message",
    [
        ([256, 256], [0.25], "1 values for 2 feature maps"),
        ([256, 128], [0.25, 0.125], r"channel counts of the feature maps disagree: \[128, 256\]"),
        ([256, 256], [0.25, 0.0], "must all be positive"),
        ([256, 256], [0.25, float("nan")], "must all be positive"),
    ],
)
def test_multi_scale_rejects_malformed_nodes(channels, scales, message):
    with pytest.raises(InferenceError, match=f"MultiScaleRoIAlign: .*{message}"):
        infer("MultiScaleRoIAlign", [(FLOAT, [10, 5]), *fpn(FLOAT, channels)],
              output_height=7, output_width=7, spatial_scales=scales)


# ---------------------------------------------------------------- NMS


@pytest.mark.parametrize("n", [100, "num_boxes", None])
@pytest.mark.parametrize("elem", [FLOAT, DOUBLE, HALF])
def test_nms_keep_is_int64_vector_of_unknown_length(n, elem):
    out = infer("NMS", [(elem, [n, 4]), (elem, [n])], iou_threshold=0.5)
    assert out.elem_type == INT64
    assert dims(out) == [None]


def test_batched_nms_keep_is_int64_vector_of_unknown_length():
    out = infer("BatchedNMS", [(HALF, ["n", 4]), (HALF, ["n"]), (INT64, ["n"])], iou_threshold=0.7)
    assert out.elem_type == INT64
    assert dims(out) == [None]


@pytest.mark.parametrize(
    "inputs, message",
    [
        ([(FLOAT, [10, 5]), (FLOAT, [10]), (INT64, [10])], "'boxes' must have 4 columns"),
        ([(FLOAT, [10, 4]), (FLOAT, [9]), (INT64, [10])], r"numbers of boxes .* disagree: \[9, 10\]"),
        ([(FLOAT, [10, 4]), (FLOAT, [10, 1]), (INT64, [10])], "'scores' must have rank 1"),
    ],
)
def test_batched_nms_rejects_malformed_nodes(inputs, message):
    with pytest.raises(InferenceError, match=f"BatchedNMS: .*{message}"):
        infer("BatchedNMS", inputs, iou_threshold=0.5)


@pytest.mark.parametrize("attrs, message", [
    (dict(strategy="vanilla"), "attribute 'strategy' must be one of torchvision, "
                               "coordinate_trick, per_class; got 'vanilla'"),
    (dict(cpu_trick_max_numel=-1), "attribute 'cpu_trick_max_numel' must be >= 0, got -1"),
    (dict(cuda_trick_max_numel=-8), "attribute 'cuda_trick_max_numel' must be >= 0, got -8"),
])
def test_batched_nms_rejects_bad_strategy_attributes(attrs, message):
    with pytest.raises(InferenceError, match=f"BatchedNMS: {message}"):
        infer("BatchedNMS", [(FLOAT, [3, 4]), (FLOAT, [3]), (INT64, [3])], iou_threshold=0.5,
              **attrs)


@pytest.mark.parametrize("strategy", ["torchvision", "coordinate_trick", "per_class"])
def test_batched_nms_accepts_each_strategy(strategy):
    out = infer("BatchedNMS", [(FLOAT, [3, 4]), (FLOAT, [3]), (INT64, [3])], iou_threshold=0.5,
                strategy=strategy, cpu_trick_max_numel=0)
    assert dims(out) == [None]


def test_batched_nms_idxs_must_be_int64():
    with pytest.raises(InferenceError, match="idxs"):
        infer("BatchedNMS", [(FLOAT, [3, 4]), (FLOAT, [3]), (FLOAT, [3])], iou_threshold=0.5)


# ---------------------------------------------------------------- DeformConv2d


def deform_inputs(elem, n, cin, h, w, cout, k, group=1, offset_group=1, ho="Ho", wo="Wo",
                  bias=True, mask=True):
    kh, kw = k
    taps = offset_group * kh * kw
    return [
        (elem, [n, cin, h, w]),
        (elem, [cout, cin // group, kh, kw]),
        (elem, [n, 2 * taps, ho, wo]),
        (elem, [cout]) if bias else None,
        (elem, [n, taps, ho, wo]) if mask else None,
    ]


@pytest.mark.parametrize("elem", [FLOAT, DOUBLE, HALF])
def test_deform_conv2d_asymmetric_geometry(elem):
    # H: (37 + 1 + 3 - 2*(3-1) - 1) // 2 + 1 = 19;  W: (29 + 0 + 2 - 3*(5-1) - 1) // 3 + 1 = 7
    out = infer("DeformConv2d", deform_inputs(elem, 2, 8, 37, 29, 16, (3, 5)),
                strides=[2, 3], pads=[1, 0, 3, 2], dilations=[2, 3])
    assert out.elem_type == elem
    assert dims(out) == [2, 16, 19, 7]


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"strides": [2, 1], "pads": [0, 1, 2, 0]},
        {"strides": [1, 3], "dilations": [3, 1], "pads": [2, 2, 1, 0]},
        {"strides": [3, 2], "dilations": [2, 2], "pads": [4, 0, 0, 4], "group": 2, "offset_group": 2},
        {"kernel_shape": [3, 2], "strides": [2, 2]},
    ],
)
def test_deform_conv2d_agrees_with_onnx_deform_conv(attrs):
    group, offset_group = attrs.get("group", 1), attrs.get("offset_group", 1)
    inputs = deform_inputs(FLOAT, 3, 4, 23, 18, 6, (3, 2), group, offset_group, bias=False, mask=False)
    ours = infer("DeformConv2d", inputs, **attrs)
    theirs = infer("DeformConv", inputs, domain="", opset=19, **attrs)
    assert dims(ours)[2:] == dims(theirs)[2:]
    assert all(isinstance(d, int) for d in dims(ours)[2:])


def test_deform_conv2d_keeps_symbolic_dims():
    # A 3x3 stride-1 pad-1 conv keeps the spatial size, so the names carry over.
    out = infer("DeformConv2d", deform_inputs(FLOAT, "N", 8, "H", "W", 16, (3, 3), ho=None, wo=None),
                pads=[1, 1, 1, 1])
    assert dims(out) == ["N", 16, "H", "W"]


def test_deform_conv2d_takes_output_size_from_offset_when_x_cannot_give_it():
    inputs = deform_inputs(FLOAT, "N", 8, "H", "W", "Cout", (3, 3), ho="Ho", wo=12)
    out = infer("DeformConv2d", inputs, strides=[2, 2])
    assert dims(out) == ["N", "Cout", "Ho", 12]


def test_deform_conv2d_kernel_from_attribute_when_weights_are_unknown():
    inputs = [(FLOAT, [1, 4, 10, 10]), (FLOAT, None), (FLOAT, [1, 18, None, None]), None, None]
    out = infer("DeformConv2d", inputs, kernel_shape=[3, 3])
    assert dims(out) == [1, None, 8, 8]


def test_deform_conv2d_without_optional_inputs():
    out = infer("DeformConv2d", deform_inputs(HALF, 1, 3, 9, 9, 5, (1, 1), bias=False, mask=False))
    assert out.elem_type == HALF
    assert dims(out) == [1, 5, 9, 9]


@pytest.mark.parametrize(
    "attrs, changes, message",
    [
        ({}, {2: (FLOAT, [2, 17, 5, 5])}, "offset's channels .* disagree: \\[17, 18\\]"),
        ({}, {4: (FLOAT, [2, 8, 5, 5])}, "mask's channels .* disagree: \\[8, 9\\]"),
        ({}, {2: (FLOAT, [2, 18, 6, 5])}, "output height .* disagree: \\[5, 6\\]"),
        ({"kernel_shape": [3, 2]}, {}, "kernel_shape\\[1\\] and W's dim 3 disagree"),
        ({"pads": [1, 1]}, {}, "'pads' must have 4 values"),
        ({"strides": [0, 1]}, {}, "must be positive"),
        ({"dilations": [4, 1]}, {}, "does not fit the padded height"),
        ({"group": 3}, {}, r"X's channels and W's dim 1 \* group disagree: \[6, 18\]"),
    ],
)
def test_deform_conv2d_rejects_malformed_nodes(attrs, changes, message):
    inputs = deform_inputs(FLOAT, 2, 6, 7, 7, 4, (3, 3), ho=5, wo=5)
    for index, spec in changes.items():
        inputs[index] = spec
    with pytest.raises(InferenceError, match=f"DeformConv2d: .*{message}"):
        infer("DeformConv2d", inputs, **attrs)
