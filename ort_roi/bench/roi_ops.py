"""RoIAlign (box and mask heads) and RoIPool on an FPN P2 map, and RoIPool on Fast
R-CNN's map (VGG16's conv5, stride 16, of a 608x800 image)."""

from __future__ import annotations

import numpy as np
import torchvision
from onnx import TensorProto

from .case import Case, Peer, Spec, close
from .inputs import proposals, shape_text


# stride: the map's (channels, height, width), full size and --quick
MAPS = {4: ((256, 200, 272), (8, 20, 28)),  # FPN's P2 of an 800x1088 image (Mask R-CNN's box head)
        16: ((512, 38, 50), (8, 5, 7))}     # VGG16's conv5 of a 608x800 image (Fast R-CNN)


def _map_and_rois(rng, rois: int, quick: bool, stride: int = 4):
    c, h, w = MAPS[stride][quick]
    k = max(rois // 80, 4) if quick else rois
    return (rng.standard_normal((1, c, h, w), dtype=np.float32),
            proposals(rng, k, stride * h, stride * w))


def roi_align(rois: int, size: int, aligned: bool = False):
    def build(rt, quick) -> Case:
        x, r = _map_and_rois(np.random.default_rng(0), rois, quick)
        attrs = dict(output_height=size, output_width=size, spatial_scale=0.25, sampling_ratio=2)
        boxes, index = r[:, 1:].copy(), r[:, 0].astype(np.int64)

        def runs(x, r):
            return (rt.ours("RoIAlign", {"X": x, "rois": r}, aligned=int(aligned), **attrs),
                    rt.torch(torchvision.ops.roi_align, *rt.tensors(x, r), size, 0.25, 2, aligned))

        def openvino():
            _, ops = rt.openvino()
            X = ops.parameter(x.shape, np.float32, name="X")
            B = ops.parameter(boxes.shape, np.float32, name="boxes")
            index32 = ops.parameter(index.shape, np.int32, name="index")
            # asymmetric: x * scale, rois at least 1x1 (torchvision's aligned=False);
            # half_pixel_for_nn: x * scale - 0.5, no minimum size (aligned=True). Its
            # half_pixel mode is (x + 0.5) * scale - 0.5, the same only at scale 1.
            y = ops.roi_align(X, B, index32, size, size, 2, 0.25, "avg",
                              "half_pixel_for_nn" if aligned else "asymmetric")
            return rt.openvino_run(rt.openvino_model([y], [X, B, index32]),
                                   {"X": x, "boxes": boxes, "index": index.astype(np.int32)})

        ours, reference = runs(x, r)
        return Case(
            shape=f"X {shape_text(x.shape)}, {len(r)} rois, {size}x{size}, sampling ratio 2"
                  + (", aligned" if aligned else ""),
            ours=ours, reference=reference, check=close(),
            peers=[Peer("onnxruntime", "RoiAlign", lambda: rt.ort_builtin(
                        "RoiAlign", {"X": x, "boxes": boxes, "idx": index}, opset=16, mode="avg",
                        coordinate_transformation_mode="half_pixel" if aligned
                        else "output_half_pixel", **attrs)),
                   Peer("openvino", "ROIAlign", openvino)],
            in_dtype=lambda dtype: runs(x.astype(dtype), r.astype(dtype)))
    return build


def roi_pool(stride: int):
    def build(rt, quick) -> Case:
        x, r = _map_and_rois(np.random.default_rng(1), 1000, quick, stride)
        scale = 1 / stride

        def openvino():
            _, ops = rt.openvino()
            X = ops.parameter(x.shape, np.float32, name="X")
            R = ops.parameter(r.shape, np.float32, name="rois")
            y = ops.roi_pooling(X, R, [7, 7], scale, "max")
            return rt.openvino_run(rt.openvino_model([y], [X, R]), {"X": x, "rois": r})

        def runs(x, r):
            return (rt.ours("RoIPool", {"X": x, "rois": r}, output_height=7, output_width=7,
                            spatial_scale=scale),
                    rt.torch(torchvision.ops.roi_pool, *rt.tensors(x, r), 7, scale))

        ours, reference = runs(x, r)
        return Case(
            shape=f"X {shape_text(x.shape)}, {len(r)} rois, 7x7"
                  + (f", stride {stride}" if stride != 4 else ""),
            ours=ours, reference=reference, check=close(),
            peers=[Peer("onnxruntime", "MaxRoiPool", lambda: rt.ort_builtin(
                        "MaxRoiPool", {"X": x, "rois": r}, TensorProto.FLOAT, pooled_shape=[7, 7],
                        spatial_scale=scale)),
                   Peer("openvino", "ROIPooling", openvino)],
            in_dtype=lambda dtype: runs(x.astype(dtype), r.astype(dtype)))
    return build


ALIGN_SPECS = [
    Spec("roi_align_box", "RoIAlign, box head", roi_align(1000, 7)),
    Spec("roi_align_mask", "RoIAlign, mask head", roi_align(100, 14)),
    Spec("roi_align_aligned", "RoIAlign, box head, aligned", roi_align(1000, 7, aligned=True)),
]
POOL_SPECS = [
    Spec("roi_pool", "RoIPool", roi_pool(4)),
    Spec("roi_pool_fast_rcnn", "RoIPool, Fast R-CNN", roi_pool(16)),
]
