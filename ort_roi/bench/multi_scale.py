"""MultiScaleRoIAlign: FPN's box and mask poolers on one 800x1216 image.

The peers are torchvision's module run eagerly and its standard ONNX export
(per-level RoiAlign, then scatter) run in ONNX Runtime and in OpenVINO: ONNX
has no multi-level op, so that export is what a model runs without ort_roi.
"""

from __future__ import annotations

import numpy as np
import torch
import torchvision

from .case import Case, Peer, Spec, close
from .inputs import proposals
from .runtimes import Unavailable, first_line
from .standard_export import standard_export

LEVELS = 4  # FPN's P2 to P5, strides 4 to 32


class _Pooler(torch.nn.Module):
    """The pooler with one image's size fixed, taking flat tensors (as exported)."""

    def __init__(self, pooler, image_size):
        super().__init__()
        self.pooler, self.image_size = pooler, image_size

    def forward(self, boxes, *features):
        return self.pooler({str(i): f for i, f in enumerate(features)}, [boxes],
                           [self.image_size])


def multi_scale(rois: int, size: int):
    def build(rt, quick) -> Case:
        rng = np.random.default_rng(rois + size)
        c, (ih, iw), k = (8, (64, 96), max(rois // 80, 4)) if quick else (256, (800, 1216), rois)
        feats = [rng.standard_normal((1, c, ih // 2 ** (i + 2), iw // 2 ** (i + 2)),
                                     dtype=np.float32) for i in range(LEVELS)]
        r = proposals(rng, k, ih, iw)
        boxes = r[:, 1:].copy()
        module = _Pooler(torchvision.ops.MultiScaleRoIAlign([str(i) for i in range(LEVELS)],
                                                            size, 2), (ih, iw)).eval()
        args = tuple(rt.tensors(boxes, *feats))
        with torch.no_grad():
            module(*args)  # the module infers its levels' scales, which our node is given
        names = ["boxes"] + [f"X_{i}" for i in range(LEVELS)]
        feeds = dict(zip(names, [boxes, *feats]))
        exported = {}

        def export() -> bytes:
            if "model" not in exported:
                try:
                    exported["model"] = standard_export(module, args, names, ["Y"])
                except Exception as e:  # noqa: BLE001
                    raise Unavailable("export fails", first_line(e)) from e
            return exported["model"]

        def runs(dtype):
            typed = [a.astype(dtype) for a in (r, *feats)]
            return (rt.ours("MultiScaleRoIAlign", dict(zip(["rois", *names[1:]], typed)),
                            output_height=size, output_width=size, sampling_ratio=2,
                            spatial_scales=module.pooler.scales),
                    rt.torch(module, *rt.tensors(typed[0][:, 1:].copy(), *typed[1:])))

        ours, reference = runs(np.float32)
        return Case(
            shape=f"{LEVELS} levels of a {ih}x{iw} image, {c} channels, {k} rois, "
                  f"{size}x{size}, sampling ratio 2",
            ours=ours, reference=reference, check=close(),
            peers=[Peer("onnxruntime", "standard export",
                        lambda: rt.ort_run(export(), feeds, ours=False)),
                   Peer("openvino", "standard export", lambda: rt.openvino_onnx(export(), feeds))],
            in_dtype=runs)
    return build


SPECS = [
    Spec("multi_scale_box", "MultiScaleRoIAlign, box head", multi_scale(1000, 7)),
    Spec("multi_scale_mask", "MultiScaleRoIAlign, mask head", multi_scale(100, 14)),
]
