"""MultiScaleRoIAlign: parity with the torchvision.ops.MultiScaleRoIAlign module,
level mapping, both calling conventions of ort_roi.ops, bad input.

float16 boxes are mapped to levels in float32 (the accumulation type). So
does torchvision, even on float16 boxes (box_area upcasts them to float32,
so that areas past 65504 do not overflow), and float16 reference runs use
float32 copies of the same rounded values: float16 levels therefore equal
torchvision's exactly, and float16 cases need no boxes kept away from level
boundaries (test_mapping_at_level_boundaries checks the ulps around them).
"""

import os
import subprocess
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.ops.poolers import (LevelMapper, _multiscale_roi_align, _setup_scales,
                                       initLevelMapper)

from ort_roi import ops
from support import (DTYPES, ONNX_TYPE, assert_close, assert_missing_attribute, assert_refused,
                     reference_inputs, run_node)

IMAGE = (128, 160)  # (height, width) of the input image


def pyramid(rng, n, c, levels, dtype, image=IMAGE, first=2):
    """FPN-like maps named "0", "1", ...: strides 2**first, 2**(first+1), ..."""
    h, w = image
    return OrderedDict(
        (str(i), rng.standard_normal((n, c, -(-h // 2 ** (first + i)), -(-w // 2 ** (first + i))))
         .astype(dtype)) for i in range(levels))


def spread_boxes(rng, count, k_min, k_max, s0=224, lvl0=4, image=IMAGE):
    """Boxes whose sqrt(area) targets levels k_min - 1 ... k_max + 1 in turn
    (the ends are clamped), kept clear of the level boundaries, spread over
    the image and a little past its edges."""
    targets = np.arange(k_min - 1, k_max + 2)[np.arange(count) % (k_max - k_min + 3)]
    size = s0 * 2.0 ** (targets - lvl0 + rng.uniform(0.15, 0.85, count))
    aspect = np.exp(rng.uniform(-0.7, 0.7, count))
    w, h = size * aspect, size / aspect
    cx = rng.uniform(-0.1, 1.1, count) * image[1]
    cy = rng.uniform(-0.1, 1.1, count) * image[0]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def theirs(feats, boxes, output_size, ratio, s0=224, lvl0=4, image=IMAGE, n=None):
    """The torchvision module, on float32 copies of float16 inputs."""
    m = torchvision.ops.MultiScaleRoIAlign(list(feats), output_size, ratio,
                                           canonical_scale=s0, canonical_level=lvl0)
    x = OrderedDict(zip(feats, reference_inputs(*feats.values())))
    images = [image] * (n or next(iter(feats.values())).shape[0])
    y = m(x, reference_inputs(*boxes), images).numpy()
    return y, m


def ours(feats, boxes, output_size, ratio, s0=224, lvl0=4, image=IMAGE, n=None):
    images = [image] * (n or next(iter(feats.values())).shape[0])
    return ops.multi_scale_roi_align(feats, boxes, output_size, ratio, image_shapes=images,
                                     canonical_scale=s0, canonical_level=lvl0)


def check(feats, boxes, output_size=7, ratio=-1, s0=224, lvl0=4):
    dtype = next(iter(feats.values())).dtype.type
    boxes = [b.astype(dtype) for b in boxes]
    expected, module = theirs(feats, boxes, output_size, ratio, s0, lvl0)
    assert_close(ours(feats, boxes, output_size, ratio, s0, lvl0), expected, dtype)
    return module


def levels_of(module, boxes):
    return module.map_levels(reference_inputs(*boxes)).numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ratio", [-1, 2])
@pytest.mark.parametrize("size", [7, 14])
@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_levels_on_every_image(levels, size, ratio, dtype):
    rng = np.random.default_rng(levels * 100 + size + ratio)
    feats = pyramid(rng, 2, 5, levels, dtype)
    boxes = [spread_boxes(rng, 12, 2, 1 + levels, s0=64, lvl0=3) for _ in range(2)]
    module = check(feats, boxes, size, ratio, s0=64, lvl0=3)
    if levels > 1:  # every level gets rois, from both images
        for b in boxes:
            assert set(levels_of(module, [b.astype(dtype)])) == set(range(levels))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("canonical", [(224, 4), (56, 2), (112, 5), (300, 3), (32, 6)])
def test_canonical_scale_and_level(canonical, dtype):
    s0, lvl0 = canonical
    rng = np.random.default_rng(s0 + lvl0)
    feats = pyramid(rng, 3, 4, 4, dtype)
    boxes = [spread_boxes(rng, 10, 2, 5, s0, lvl0) for _ in range(3)]
    check(feats, boxes, 7, 2, s0, lvl0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_levels_that_get_no_roi(dtype):
    rng = np.random.default_rng(5)
    feats = pyramid(rng, 2, 6, 5, dtype)
    # Only levels 0 and 3 (k = 2 and 5 with the canonical 224 / 4).
    boxes = [spread_boxes(rng, 12, 2, 5)[[0, 4, 6, 10]] for _ in range(2)]
    module = check(feats, boxes, 7, -1)
    assert set(levels_of(module, [b.astype(dtype) for b in boxes])) == {0, 3}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("levels", [1, 3])
def test_degenerate_and_inverted_boxes(levels, dtype):
    rng = np.random.default_rng(6)
    feats = pyramid(rng, 2, 3, levels, dtype)
    rows = [
        [10, 10, 10, 10],    # zero area: log2(0) = -inf, the finest level
        [10, 12, 60, 12],    # zero height
        [50, 40, 20, 90],    # negative area: no level, zeros (pooled when one level)
        [70, 60, 20, 10],    # inverted both ways: positive area, pooled
        [-30, -30, 200, 170],  # bigger than the image
    ]
    boxes = [np.asarray(rows, np.float64), np.asarray(rows[::-1], np.float64)]
    check(feats, boxes, 7, -1)
    check(feats, boxes, 3, 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_nan_boxes_give_zeros(dtype):
    rng = np.random.default_rng(7)
    feats = pyramid(rng, 1, 3, 3, dtype)
    rows = np.asarray([[np.nan, 1, 50, 50], [1, 1, 50, np.nan], [5, 5, 60, 60]])
    # Several levels: torchvision maps a NaN box to no level and leaves zeros.
    check(feats, [rows], 7, 2)
    # One level: torchvision pools NaN boxes (undefined); ort_roi gives zeros,
    # as it does for any non-finite box, infinite ones included.
    one = OrderedDict(list(feats.items())[:1])
    rows = np.concatenate([rows, [[0, 0, np.inf, 40], [-np.inf, 0, 3, 3]]]).astype(dtype)
    y = ours(one, [rows], 7, 2)
    assert (y[[0, 1, 3, 4]] == 0).all() and (y[2] != 0).any()
    y = ours(feats, [rows], 7, 2)
    assert (y[[0, 1, 3, 4]] == 0).all() and (y[2] != 0).any()


def test_scales_that_skip_a_level():
    # featmap_names ["0", "2"]: scales 1/4 and 1/16, so k_min = 2, k_max = 4
    # and the level index is 0, 1 or 2. torchvision pools index 1 (level 3)
    # from the second map and leaves index 2 (level 4) zero: match that.
    rng = np.random.default_rng(8)
    feats = pyramid(rng, 1, 4, 3, np.float32)
    del feats["1"]
    boxes = [spread_boxes(rng, 12, 2, 4)]
    module = check(feats, boxes, 5, 2)
    assert set(levels_of(module, [b.astype(np.float32) for b in boxes])) == {0, 1, 2}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_no_rois(dtype):
    feats = pyramid(np.random.default_rng(9), 2, 3, 4, dtype)
    boxes = [np.zeros((0, 4), dtype), np.zeros((0, 4), dtype)]
    assert ours(feats, boxes, 7, 2).shape == (0, 3, 7, 7)
    check(feats, boxes, 7, 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_mapping_at_level_boundaries(dtype):
    # Maps that are constant per level (level l holds l + 1) make the output
    # say which level pooled each box. Boxes straddle every boundary of
    # sqrt(area) (112, 224, 448, 896 with the canonical 224 / 4) by a few
    # ulps of the dtype and by relative steps around the +1e-6, where the
    # rounding of each step decides the level.
    image = (1024, 1024)
    feats = OrderedDict((str(i), np.full((1, 1, 256 >> i, 256 >> i), i + 1, dtype))
                        for i in range(5))
    sides = []
    for edge in np.array([112, 224, 448, 896], dtype):
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
    boxes = [np.concatenate([squares, wide]).astype(dtype)]
    expected, module = theirs(feats, boxes, 2, 2, image=image)
    got = ours(feats, boxes, 2, 2, image=image)
    level = np.rint(got.astype(np.float64)[:, 0, 0, 0]).astype(int) - 1
    np.testing.assert_array_equal(level, levels_of(module, boxes))
    if dtype == np.float16:  # torchvision's mapper on the float16 boxes themselves
        np.testing.assert_array_equal(level, module.map_levels([torch.from_numpy(boxes[0])]))
    assert len(set(level)) == 5
    assert_close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_aligned(dtype):
    # torchvision's module has no `aligned`: the reference is its LevelMapper
    # and roi_align(aligned=True), level by level.
    rng = np.random.default_rng(10)
    feats = list(pyramid(rng, 2, 4, 4, dtype).values())
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    rois = ops.to_rois([spread_boxes(rng, 10, 2, 5) for _ in range(2)], dtype)
    got = ops.multi_scale_roi_align(feats, rois, (7, 5), 2, spatial_scales=scales, aligned=True)
    tr, *tx = reference_inputs(rois, *feats)
    levels = LevelMapper(2, 5)([tr[:, 1:]])
    expected = torch.zeros(len(tr), 4, 7, 5, dtype=tr.dtype)
    for l, (x, s) in enumerate(zip(tx, scales)):
        idx = torch.where(levels == l)[0]
        expected[idx] = torchvision.ops.roi_align(x, tr[idx], (7, 5), s, 2, aligned=True)
    assert len(set(levels.tolist())) == 4
    assert_close(got, expected.numpy(), dtype)


# torchvision's module infers powers of two, but its pooling takes any
# scales. float32(0.7) is 0.699999988: a float64 run that scaled rois by it
# would be ~1e-6 off; the binding reads 0.7 back as the double 0.7.
DECIMAL_SCALES = [0.7, 0.35]


def decimal_scales_case():
    """float64 maps at DECIMAL_SCALES, boxes on both levels, and torchvision's
    (5, 4) pooling of them with sampling ratio 2."""
    rng = np.random.default_rng(11)
    feats = [rng.standard_normal((2, 3, round(128 * s), round(160 * s))) for s in DECIMAL_SCALES]
    boxes = [spread_boxes(rng, 12, 0, 1) for _ in range(2)]
    # torchvision's level range from the float32 scales, as its _setup_scales.
    k_min, k_max = (int(-torch.log2(torch.tensor(s, dtype=torch.float32)).item())
                    for s in (DECIMAL_SCALES[0], DECIMAL_SCALES[-1]))
    mapper = initLevelMapper(k_min, k_max)
    tboxes = [torch.from_numpy(b) for b in boxes]
    assert set(mapper(tboxes).tolist()) == {0, 1}
    expected = _multiscale_roi_align([torch.from_numpy(x) for x in feats], tboxes, (5, 4), 2,
                                     DECIMAL_SCALES, mapper)
    return feats, boxes, expected.numpy()


def test_scales_that_are_not_powers_of_two_match_in_float64():
    feats, boxes, expected = decimal_scales_case()
    got = ops.multi_scale_roi_align(feats, boxes, (5, 4), 2, spatial_scales=DECIMAL_SCALES)
    assert_close(got, expected, np.float64)


@settings(max_examples=40, deadline=None)
@given(
    levels=st.integers(1, 5), n=st.integers(1, 3), c=st.integers(1, 8), k=st.integers(0, 20),
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


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(11)
    feats = list(pyramid(rng, 2, 40, 4, np.float32).values())
    rois = ops.to_rois([spread_boxes(rng, 40, 2, 5) for _ in range(2)], np.float32)
    inputs = {"rois": rois, **{f"X_{i}": f for i, f in enumerate(feats)}}
    attrs = dict(output_height=7, output_width=7, spatial_scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32])
    one = run_node("MultiScaleRoIAlign", inputs, threads=1, **attrs)
    two = run_node("MultiScaleRoIAlign", inputs, threads=2, **attrs)
    np.testing.assert_array_equal(one, two)


# The Python API: both conventions, scale inference, box formats.

def test_list_form_and_box_formats_agree_with_the_dict_form():
    rng = np.random.default_rng(12)
    feats = pyramid(rng, 2, 3, 4, np.float32)
    boxes = [spread_boxes(rng, 6, 2, 5).astype(np.float32) for _ in range(2)]
    expected, module = theirs(feats, boxes, 7, 2)
    maps = list(feats.values())
    rois = ops.to_rois(boxes, np.float32)
    for got in [
        ops.multi_scale_roi_align(maps, boxes, 7, 2, spatial_scales=module.scales),
        ops.multi_scale_roi_align(maps, rois, (7, 7), 2, spatial_scales=module.scales),
        ops.multi_scale_roi_align(maps, np.concatenate(boxes), 7, 2, boxes_num=[6, 6],
                                  spatial_scales=module.scales),
        ops.multi_scale_roi_align(dict(feats, extra=maps[0]), boxes, 7, 2, image_shapes=[IMAGE] * 2,
                                  featmap_names=list(feats)),
    ]:
        assert_close(got, expected, np.float32)


@pytest.mark.parametrize("images", [
    [(800, 1216)], [(800, 1216), (768, 1344)], [(37, 45)], [(224, 224), (100, 500)],
])
def test_scales_are_inferred_as_torchvision_does(images):
    h, w = max(i[0] for i in images), max(i[1] for i in images)
    shapes = [(1, 1, -(-h // s), -(-w // s)) for s in (4, 8, 16, 32, 64)]
    feats = [torch.zeros(s) for s in shapes]
    expected, _ = _setup_scales(feats, images, 224, 4)
    assert ops.infer_scales(shapes, images) == expected


@pytest.mark.parametrize("kwargs, error", [
    (dict(), "exactly one of spatial_scales and image_shapes"),
    (dict(spatial_scales=[1 / 4], image_shapes=[IMAGE]), "exactly one of"),
    (dict(spatial_scales=[1 / 4], featmap_names=["0"]), "featmap_names selects from a dict"),
])
def test_api_refuses_ambiguous_calls(kwargs, error):
    x = [np.zeros((1, 1, 8, 8), np.float32)]
    with pytest.raises(ValueError, match=error):
        ops.multi_scale_roi_align(x, np.zeros((0, 5), np.float32), 2, **kwargs)


# The node in ONNX Runtime: shapes, oldest supported release.

def test_ort_infers_the_output_shape():
    from onnx import TensorProto, helper

    import ort_roi

    node = helper.make_node("MultiScaleRoIAlign", ["rois", "X_0", "X_1"], ["Y"], domain="ort_roi",
                            output_height=3, output_width=5, spatial_scales=[0.25, 0.125])
    g = helper.make_graph(
        [node, helper.make_node("Relu", ["Y"], ["Z"])], "g",
        [helper.make_tensor_value_info("rois", TensorProto.DOUBLE, ["K", 5]),
         helper.make_tensor_value_info("X_0", TensorProto.DOUBLE, ["N", 7, "H", "W"]),
         helper.make_tensor_value_info("X_1", TensorProto.DOUBLE, ["N", 7, "H2", "W2"])],
        [helper.make_tensor_value_info("Z", TensorProto.DOUBLE, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ort_roi", 1)], ir_version=8)
    (z,) = ort_roi.InferenceSession(m.SerializeToString()).get_outputs()
    assert z.shape == ["K", 7, 3, 5]
    assert z.type == "tensor(double)"


LOAD_AND_RUN = textwrap.dedent("""
    import sys
    import numpy as np, onnxruntime as ort
    from onnx import TensorProto, helper
    so = ort.SessionOptions()
    so.register_custom_ops_library(sys.argv[1])
    rng = np.random.default_rng(0)
    for elem, dtype in [(TensorProto.FLOAT, np.float32), (TensorProto.DOUBLE, np.float64),
                        (TensorProto.FLOAT16, np.float16)]:
        for levels in (1, 3):
            names = ["X_%d" % i for i in range(levels)]
            node = helper.make_node("MultiScaleRoIAlign", ["rois"] + names, ["Y"], domain="ort_roi",
                                    output_height=2, output_width=2, sampling_ratio=2,
                                    spatial_scales=[2.0 ** -(i + 2) for i in range(levels)])
            g = helper.make_graph([node], "g",
                [helper.make_tensor_value_info(n, elem, None) for n in ["rois"] + names],
                [helper.make_tensor_value_info("Y", elem, None)])
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)], ir_version=8)
            s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
            feeds = {n: rng.standard_normal((2, 3, 64 >> i, 64 >> i)).astype(dtype)
                     for i, n in enumerate(names)}
            feeds["rois"] = np.array([[0, 1, 1, 20, 30], [1, 5, 5, 150, 200], [1, 9, 9, 5, 30]], dtype)
            print(ort.__version__, s.run(None, feeds)[0].astype(np.float64).round(3).ravel().tolist())
""")


def test_loads_and_runs_in_the_oldest_supported_onnxruntime():
    import onnxruntime as ort

    import ort_roi

    oldest = os.environ.get("ORT_ROI_OLDEST_ORT")
    assert oldest, "set ORT_ROI_OLDEST_ORT to a --target install of the oldest supported onnxruntime"
    lib = ort_roi.get_library_path()
    runs = []
    for env in (dict(os.environ, PYTHONPATH=oldest), dict(os.environ)):
        out = subprocess.run([sys.executable, "-c", LOAD_AND_RUN, lib], env=env, check=True,
                             capture_output=True, text=True).stdout.splitlines()
        assert len(out) == 6
        runs.append([line.split(" ", 1) for line in out])
    assert {v for v, _ in runs[0]} == {"1.21.0"} and {v for v, _ in runs[1]} == {ort.__version__}
    assert [y for _, y in runs[0]] == [y for _, y in runs[1]]


# Bad input: INVALID_ARGUMENT naming the op, the input or attribute, the problem.
F32 = np.float32
X0, X1, X2 = (np.zeros((2, 3, 16 >> i, 16 >> i), F32) for i in range(3))
ROIS = np.array([[0, 1, 1, 4, 4], [1, 0, 0, 2, 2]], F32)
SCALES = [1 / 4, 1 / 8, 1 / 16]
BAD_INPUTS = [
    ("feature_rank_3", [X0, X1, X2[0]], ROIS, {}, "input 'X_2' must have rank 4"),
    ("channels_differ", [X0, X1[:, :2], X2], ROIS, {},
     "input 'X_1' must have X_0's batch size and channels (N = 2, C = 3), got shape [2, 2, 8, 8]"),
    ("batch_differs", [X0, X1, X2[:1]], ROIS, {},
     "input 'X_2' must have X_0's batch size and channels"),
    ("feature_types_differ", [X0, X1.astype(np.float64), X2], ROIS, {},
     "input 'X_1' must have X_0's type float32, got float64"),
    ("integer_feature", [X0.astype(np.int32), X1, X2], ROIS, {},
     "input 'X_0' must be float32, float64 or float16"),
    ("empty_map", [X0, X1[:, :, :0], X2], ROIS, {}, "input 'X_1' must have positive height and width"),
    ("rois_type_differs", [X0, X1, X2], ROIS.astype(np.float64), {},
     "input 'rois' must have the feature map's type float32, got float64"),
    ("rois_four_columns", [X0, X1, X2], ROIS[:, 1:], {}, "input 'rois' must have shape [K, 5]"),
    ("batch_index_too_large", [X0, X1, X2], np.array([[0, 1, 1, 2, 2], [2, 1, 1, 2, 2]], F32), {},
     "input 'rois' row 1 has batch index 2, which is not an integer in [0, 2)"),
    ("batch_index_not_integral", [X0, X1, X2], np.array([[0.5, 1, 1, 2, 2]], F32), {},
     "row 0 has batch index 0.5"),
    ("too_few_scales", [X0, X1, X2], ROIS, {"spatial_scales": SCALES[:2]},
     "attribute 'spatial_scales' must have one value per feature map (3), got 2"),
    ("too_many_scales", [X0], ROIS, {}, "one value per feature map (1), got 3"),
    ("zero_scale", [X0, X1, X2], ROIS, {"spatial_scales": [0.25, 0.0, 0.0625]},
     "attribute 'spatial_scales[1]' must be a finite positive number, got 0"),
    ("nan_scale", [X0, X1, X2], ROIS, {"spatial_scales": [0.25, 0.125, float("nan")]},
     "attribute 'spatial_scales[2]' must be a finite positive number, got nan"),
    ("negative_scale", [X0, X1, X2], ROIS, {"spatial_scales": [-0.25, 0.125, 0.0625]},
     "'spatial_scales[0]' must be a finite positive number"),
    ("zero_output_height", [X0, X1, X2], ROIS, {"output_height": 0},
     "'output_height' and 'output_width' must be positive, got 0 and 2"),
    ("huge_sampling_ratio", [X0, X1, X2], ROIS, {"sampling_ratio": 1 << 20},
     "'sampling_ratio' must be at most 65536"),
    ("aligned_not_a_flag", [X0, X1, X2], ROIS, {"aligned": 3}, "'aligned' must be 0 or 1, got 3"),
    ("zero_canonical_scale", [X0, X1, X2], ROIS, {"canonical_scale": 0},
     "'canonical_scale' must be positive, got 0"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_by_name(case):
    _, maps, rois, attrs, message = case
    kwargs = dict(output_height=2, output_width=2, spatial_scales=SCALES)
    kwargs.update(attrs)
    inputs = {"rois": rois, **{f"X_{i}": m for i, m in enumerate(maps)}}
    assert_refused("MultiScaleRoIAlign", inputs, message, out_type=ONNX_TYPE[maps[0].dtype.type],
                   **kwargs)


@pytest.mark.parametrize("attr, message", [
    ("spatial_scales", "required float list attribute 'spatial_scales' is missing"),
    ("output_width", "required int attribute 'output_width' is missing"),
])
def test_missing_required_attribute_is_refused_by_name(attr, message):
    kwargs = dict(output_height=2, output_width=2, spatial_scales=SCALES)
    del kwargs[attr]
    inputs = {"rois": ROIS, "X_0": X0, "X_1": X1, "X_2": X2}
    assert_missing_attribute("MultiScaleRoIAlign", inputs, message, **kwargs)
