"""PSRoIAlign and PSRoIPool at R-FCN's shapes.

R-FCN (Dai et al., 2016) on PASCAL VOC: ResNet-101 at stride 16 (dilated
conv5) on a 600x1000 image gives a 38x63 map; its class score maps are
k*k*(classes + 1) = 7*7*21 = 1029 channels; 300 rois per image at test time.
"""

from __future__ import annotations

import numpy as np
import torchvision

from .case import Case, Peer, Spec, close
from .inputs import proposals, shape_text
from .runtimes import Unavailable


def _inputs(seed: int, quick: bool):
    rng = np.random.default_rng(seed)
    classes, h, w, k = (3, 8, 10, 10) if quick else (21, 38, 63, 300)
    x = rng.standard_normal((1, classes * 49, h, w), dtype=np.float32)
    return x, proposals(rng, k, 16 * h, 16 * w), classes


def ps_roi_align(rt, quick) -> Case:
    x, r, classes = _inputs(2, quick)

    def openvino():
        raise Unavailable(
            "no equivalent op", "PSROIPooling's bilinear mode averages one sample of every "
            "spatial bin's channels per output cell (rois in [0, 1]), not torchvision's "
            "sampling grid within the cell's own channel")

    def runs(x, r):
        return (rt.ours("PSRoIAlign", {"X": x, "rois": r}, output_height=7, output_width=7,
                        spatial_scale=1 / 16, sampling_ratio=2),
                rt.torch(torchvision.ops.ps_roi_align, *rt.tensors(x, r), 7, 1 / 16, 2))

    ours, reference = runs(x, r)
    return Case(
        shape=f"X {shape_text(x.shape)} ({classes} classes), {len(r)} rois, 7x7, "
              "sampling ratio 2",
        ours=ours, reference=reference, check=close(),
        peers=[Peer("openvino", "PSROIPooling", openvino)],
        in_dtype=lambda dtype: runs(x.astype(dtype), r.astype(dtype)))


def ps_roi_pool(rt, quick) -> Case:
    x, r, classes = _inputs(3, quick)

    def openvino():
        _, ops = rt.openvino()
        X = ops.parameter(x.shape, np.float32, name="X")
        R = ops.parameter(r.shape, np.float32, name="rois")
        y = ops.psroi_pooling(X, R, classes, 7, 1 / 16, 1, 1, "average")
        return rt.openvino_run(rt.openvino_model([y], [X, R]), {"X": x, "rois": r})

    def runs(x, r):
        return (rt.ours("PSRoIPool", {"X": x, "rois": r}, output_height=7, output_width=7,
                        spatial_scale=1 / 16),
                rt.torch(torchvision.ops.ps_roi_pool, *rt.tensors(x, r), 7, 1 / 16))

    ours, reference = runs(x, r)
    return Case(
        shape=f"X {shape_text(x.shape)} ({classes} classes), {len(r)} rois, 7x7",
        ours=ours, reference=reference, check=close(),
        in_dtype=lambda dtype: runs(x.astype(dtype), r.astype(dtype)),
        peers=[Peer("openvino", "PSROIPooling average", openvino,
                    note="OpenVINO's PSROIPooling rounds the roi corners before scaling and "
                         "adds 1 to the far corner (R-FCN's Caffe layer): its bins differ "
                         "from torchvision's")])


SPECS = [
    Spec("ps_roi_align", "PSRoIAlign, R-FCN", ps_roi_align),
    Spec("ps_roi_pool", "PSRoIPool, R-FCN", ps_roi_pool),
]
