"""One small float32 model with every op of the domain, and inputs for it.

Used where the ops must be exercised together, many times over: the
concurrency and leak tests, on the CPU (tests/) and on CUDA (gpu_tests/).
It needs only numpy and onnx, so a leak probe can run it without torch.

Inputs, all with dynamic sizes so that consecutive runs can differ in shape:
  X       [N, C, H, W]        RoIAlign, RoIPool, DeformConv2d, level 0 of MultiScaleRoIAlign
  X_ps    [N, C*P*P, H, W]    PSRoIAlign, PSRoIPool
  X_low   [N, C, H/2, W/2]    level 1 of MultiScaleRoIAlign
  rois    [K, 5]              in image coordinates (maps at 1/4 and 1/8 of the image)
  offset, mask                DeformConv2d (its weight and bias are initializers)
  boxes [M, 4], scores [M], idxs [M]   NMS, BatchedNMS
"""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper

OPS = ("RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "MultiScaleRoIAlign",
       "NMS", "BatchedNMS", "DeformConv2d")
INPUTS = ("X", "X_ps", "X_low", "rois", "offset", "mask", "boxes", "scores", "idxs")

C = 4          # channels of X
P = 3          # pooled size of the PS ops (X_ps has C * P * P channels)
POOLED = 4     # pooled size of the other roi ops
SCALE = 0.25   # X is the image at 1/4
COUT = 6       # DeformConv2d output channels, 3x3 kernel, pads 1


def model(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((COUT, C, 3, 3)) / 6).astype(np.float32)
    bias = rng.standard_normal(COUT).astype(np.float32)
    pooled = dict(output_height=POOLED, output_width=POOLED, spatial_scale=SCALE)
    ps = dict(output_height=P, output_width=P, spatial_scale=SCALE)
    nodes = [
        helper.make_node("RoIAlign", ["X", "rois"], ["roi_align"], domain="ort_roi",
                         sampling_ratio=-1, aligned=1, **pooled),
        helper.make_node("RoIPool", ["X", "rois"], ["roi_pool"], domain="ort_roi", **pooled),
        helper.make_node("PSRoIAlign", ["X_ps", "rois"], ["ps_roi_align"], domain="ort_roi",
                         sampling_ratio=2, **ps),
        helper.make_node("PSRoIPool", ["X_ps", "rois"], ["ps_roi_pool"], domain="ort_roi", **ps),
        helper.make_node("MultiScaleRoIAlign", ["rois", "X", "X_low"], ["multi_scale"],
                         domain="ort_roi", output_height=POOLED, output_width=POOLED,
                         sampling_ratio=2, spatial_scales=[SCALE, SCALE / 2],
                         canonical_scale=32, canonical_level=3),
        helper.make_node("NMS", ["boxes", "scores"], ["nms"], domain="ort_roi", iou_threshold=0.5),
        helper.make_node("BatchedNMS", ["boxes", "scores", "idxs"], ["batched_nms"],
                         domain="ort_roi", iou_threshold=0.4),
        helper.make_node("DeformConv2d", ["X", "W", "offset", "B", "mask"], ["deform_conv"],
                         domain="ort_roi", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
    ]
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    # Channel counts and row widths fixed, as a model's weights fix them;
    # batch, spatial sizes and counts of rois and boxes symbolic.
    shapes = dict(X=["N", C, "H", "W"], X_ps=["N", C * P * P, "H", "W"],
                  X_low=["N", C, "H_low", "W_low"], rois=["K", 5], offset=["N", 18, "H", "W"],
                  mask=["N", 9, "H", "W"], boxes=["M", 4], scores=["M"], idxs=["M"])
    graph = helper.make_graph(
        nodes, "all_ops",
        [helper.make_tensor_value_info(name, i64 if name == "idxs" else f32, shapes[name])
         for name in INPUTS],
        [helper.make_tensor_value_info(node.output[0], i64 if "nms" in node.output[0] else f32,
                                       [None] * (1 if "nms" in node.output[0] else 4))
         for node in nodes],
        initializer=[numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "B")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)],
                              ir_version=8)
    return proto.SerializeToString()


def inputs(seed: int, n: int = 2, size: int = 16, rois: int = 24,
           boxes: int = 120) -> dict[str, np.ndarray]:
    """Random inputs; `size` is the side of X, rois and boxes are counts."""
    rng = np.random.default_rng(seed)
    image = size / SCALE
    xy = rng.uniform(-0.1 * image, 0.9 * image, (rois, 2))
    wh = rng.uniform(1, 0.6 * image, (rois, 2))
    batch = rng.integers(0, n, (rois, 1))
    # Crowded, so that NMS suppresses a good part of them.
    box_xy = rng.uniform(0, 0.5 * image, (boxes, 2))
    box_wh = rng.uniform(1, 0.4 * image, (boxes, 2))
    arrays = dict(
        X=rng.standard_normal((n, C, size, size)),
        X_ps=rng.standard_normal((n, C * P * P, size, size)),
        X_low=rng.standard_normal((n, C, size // 2, size // 2)),
        rois=np.concatenate([batch, xy, xy + wh], axis=1),
        offset=rng.uniform(-2, 2, (n, 18, size, size)),
        mask=rng.uniform(0, 1, (n, 9, size, size)),
        boxes=np.concatenate([box_xy, box_xy + box_wh], axis=1),
        scores=rng.uniform(0, 1, boxes),
        idxs=rng.integers(0, 5, boxes),
    )
    return {k: v if k == "idxs" else v.astype(np.float32) for k, v in arrays.items()}


def input_sets(count: int = 4) -> list[dict[str, np.ndarray]]:
    """Inputs of a few different shapes: consecutive runs reshape every output."""
    shapes = [dict(size=16, rois=24, boxes=120), dict(size=12, rois=7, boxes=40, n=1),
              dict(size=20, rois=33, boxes=200, n=3), dict(size=8, rois=1, boxes=3)]
    return [inputs(seed=100 + i, **shapes[i % len(shapes)]) for i in range(count)]


def builtin_model() -> bytes:
    """ONNX Runtime's own ops on the same inputs (X, rois, boxes, scores):
    RoiAlign, Conv and NonMaxSuppression, each with a kernel on both the CPU
    and CUDA. The leak probe's control (leak_probe.py --builtin): memory that
    grows as much without any op of ours is ONNX Runtime's or the driver's."""
    rng = np.random.default_rng(0)
    weight = (rng.standard_normal((COUT, C, 3, 3)) / 6).astype(np.float32)
    i64 = TensorProto.INT64

    def constant(name: str, values) -> NodeProto:
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.array(values, np.int64)))

    nodes = [
        constant("zero", [0]), constant("one", [1]), constant("five", [5]), constant("axis1", [1]),
        constant("keep_all", [1 << 20]),
        helper.make_node("Slice", ["rois", "zero", "one", "axis1"], ["batch_column"]),
        helper.make_node("Squeeze", ["batch_column", "axis1"], ["batch_float"]),
        helper.make_node("Cast", ["batch_float"], ["batch"], to=i64),
        helper.make_node("Slice", ["rois", "one", "five", "axis1"], ["roi_boxes"]),
        helper.make_node("RoiAlign", ["X", "roi_boxes", "batch"], ["roi_align"],
                         output_height=POOLED, output_width=POOLED, sampling_ratio=2,
                         spatial_scale=SCALE, coordinate_transformation_mode="half_pixel"),
        helper.make_node("Conv", ["X", "W"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Unsqueeze", ["boxes", "zero"], ["boxes_1"]),
        helper.make_node("Unsqueeze", ["scores", "zero"], ["scores_1"]),
        helper.make_node("Unsqueeze", ["scores_1", "zero"], ["scores_11"]),
        helper.make_node("NonMaxSuppression", ["boxes_1", "scores_11", "keep_all", "iou"], ["nms"]),
    ]
    f32 = TensorProto.FLOAT
    shapes = dict(X=["N", C, "H", "W"], rois=["K", 5], boxes=["M", 4], scores=["M"])
    graph = helper.make_graph(
        nodes, "builtin_ops",
        [helper.make_tensor_value_info(name, f32, shape) for name, shape in shapes.items()],
        [helper.make_tensor_value_info("roi_align", f32, [None] * 4),
         helper.make_tensor_value_info("conv", f32, [None] * 4),
         helper.make_tensor_value_info("nms", i64, [None, 3])],
        initializer=[numpy_helper.from_array(weight, "W"),
                     numpy_helper.from_array(np.array([0.5], np.float32), "iou")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return proto.SerializeToString()
