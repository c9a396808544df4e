"""DeformConv2d on ResNet stages, and ONNX Runtime's plain Conv of the same shape.

A 3x3 deformable convolution as DCNv2 puts it in ResNet's conv4/conv5 stages:
Cin = Cout, padding 1, offsets and a modulation mask from a side branch; and
DCNv1's, offsets only. The reference rows time ORT's ordinary Conv on the same
input and weights: how close the deformable one comes to the convolution it
generalises.
"""

from __future__ import annotations

import numpy as np
import torchvision

from .case import Case, Peer, Spec, close
from .inputs import shape_text

ATTRS = dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1], group=1,
             offset_group=1)


def _inputs(channels: int, size: int, quick: bool, masked: bool = True) -> dict[str, np.ndarray]:
    if quick:
        channels, size = channels // 64, size // 8
    rng = np.random.default_rng(channels + size)
    c = channels
    f = {"X": rng.standard_normal((1, c, size, size), dtype=np.float32),
         "W": (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32),
         "offset": rng.standard_normal((1, 18, size, size), dtype=np.float32),
         "B": rng.standard_normal(c).astype(np.float32),
         "mask": rng.uniform(0, 1, (1, 9, size, size)).astype(np.float32)}
    if not masked:  # DCNv1: offsets only
        del f["mask"]
    return f


def _ours_and_reference(rt, f):
    x, offset, w, b = rt.tensors(f["X"], f["offset"], f["W"], f["B"])
    mask = rt.tensors(f["mask"])[0] if "mask" in f else None
    return (rt.ours("DeformConv2d", f, **ATTRS),
            rt.torch(torchvision.ops.deform_conv2d, x, offset, w, b, padding=1, mask=mask))


def _shape(f) -> str:
    c = f["X"].shape[1]
    return (f"X {shape_text(f['X'].shape)}, {c} filters 3x3, pad 1, "
            + ("with mask" if "mask" in f else "no mask (DCNv1)"))


def deform_conv(channels: int, size: int, masked: bool = True):
    def build(rt, quick) -> Case:
        f = _inputs(channels, size, quick, masked)
        ours, reference = _ours_and_reference(rt, f)

        def openvino():
            _, ops = rt.openvino()
            params = {n: ops.parameter(f[n].shape, np.float32, name=n)
                      for n in ("X", "offset", "W", "mask") if n in f}
            # bilinear_interpolation_pad: samples near the border read zeros beyond it, as in
            # torchvision (without it OpenVINO drops any sample whose corners leave the map).
            y = ops.deformable_convolution(params["X"], params["offset"], params["W"], [1, 1],
                                           [1, 1], [1, 1], [1, 1], mask=params.get("mask"),
                                           bilinear_interpolation_pad=True)
            y = ops.add(y, ops.constant(f["B"].reshape(1, -1, 1, 1)))
            return rt.openvino_run(rt.openvino_model([y], list(params.values())), f)

        return Case(shape=_shape(f), ours=ours, reference=reference, check=close(),
                    peers=[Peer("onnxruntime", "DeformConv", lambda: rt.ort_builtin(
                                "DeformConv", f, opset=19, **ATTRS)),
                           Peer("openvino", "DeformableConvolution", openvino)],
                    in_dtype=lambda dtype: _ours_and_reference(
                        rt, {n: a.astype(dtype) for n, a in f.items()}))
    return build


def plain_conv(channels: int, size: int):
    def build(rt, quick) -> Case:
        f = _inputs(channels, size, quick)
        ours, reference = _ours_and_reference(rt, f)
        conv = {"X": f["X"], "W": f["W"], "B": f["B"]}
        return Case(shape=_shape(f) + " (Conv: no offsets, no mask)", ours=ours,
                    reference=reference, check=close(), time_reference=False,
                    peers=[Peer("onnxruntime", "Conv", lambda: rt.ort_builtin(
                        "Conv", conv, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                        comparable=False)])
    return build


SPECS = [
    Spec("deform_conv_256", "DeformConv2d", deform_conv(256, 64)),
    Spec("deform_conv_512", "DeformConv2d", deform_conv(512, 32)),
    Spec("deform_conv_256_no_mask", "DeformConv2d, no mask", deform_conv(256, 64, masked=False)),
    Spec("conv_ref_256", "reference: DeformConv2d vs ORT Conv", plain_conv(256, 64)),
    Spec("conv_ref_512", "reference: DeformConv2d vs ORT Conv", plain_conv(512, 32)),
]
