"""RoIPool, PSRoIAlign, PSRoIPool and the fused MultiScaleRoIAlign: ort_roi vs its peers.

Peers, each on the same inputs with the same thread count, in this process:
torchvision; ONNX Runtime's MaxRoiPool (RoIPool only: ORT has no
position-sensitive op); and, when the `openvino` package is installed, its CPU
plugin's ROIPooling (max) and PSROIPooling (average for PSRoIPool; bilinear
for PSRoIAlign, with 7x7 spatial bins and a 2x2 output, so that it takes as
many bilinear samples per roi and channel as PSRoIAlign's 7x7 bins of 2x2).
Each round runs every runtime once, in turn, so that the machine's load falls
on all of them alike; the table gives medians over rounds and each median over
ort_roi's (>1: ort_roi faster). ort_roi's time includes ORT's session.run
overhead (input binding, output allocation).

Shapes: RoIPool as in Fast R-CNN's box head (VGG16 conv5, stride 16, of a
608x800 image, 1000 proposals) and on an FPN P2 map (stride 4 of 800x1088);
the PS ops as in R-FCN (ResNet-101, stride 16, 608x800 image, 300 proposals,
7x7 bins) on its classification maps (21 classes) and its class-agnostic box
regression maps (4 coordinates).

    .venv/bin/python benchmarks/bench_pooling_family.py [--threads 2] [--repeat 9]
        [--dtypes float16 float64] [--only RoIPool PSRoIAlign PSRoIPool MultiScaleRoIAlign]

--dtypes adds rows of ort_roi in other float types, each divided by ort_roi's
float32 time (<= 1: no slower than float32).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import OrderedDict

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi
from bench_roi_ops import print_ratios

_ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16,
              np.float64: TensorProto.DOUBLE}


def interleaved_medians(fns: dict, repeat: int) -> dict[str, float]:
    """Median ms of each callable, running all of them once per round."""
    for fn in fns.values():
        fn()  # warm-up: sessions, allocations, first-touch of memory
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def session(node, names, threads, dtype=np.float32, domain="ort_roi"):
    t = _ONNX_TYPE[dtype]
    graph = helper.make_graph(
        [node], "bench", [helper.make_tensor_value_info(n, t, None) for n in names],
        [helper.make_tensor_value_info("Y", t, None)])
    opsets = [helper.make_opsetid("", 17)]
    if domain == "ort_roi":
        opsets.append(helper.make_opsetid("ort_roi", 1))
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    if domain == "ort_roi":
        return ort_roi.InferenceSession(model, so)
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def openvino_call(build, x, rois, threads):
    """A callable running OpenVINO's CPU plugin on build(x_param, rois_param), or None."""
    try:
        import openvino as ov
        import openvino.opset1 as ov1
    except ImportError:
        return None
    px = ov1.parameter(list(x.shape), np.float32)
    pr = ov1.parameter(list(rois.shape), np.float32)
    model = ov.Model([build(px, pr)], [px, pr])
    # f32 stated: on processors with bf16 the plugin would otherwise pick bf16.
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                      "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    return lambda: request.infer({0: x, 1: rois})


def proposals(rng, k, image_h, image_w, n_images=1):
    """k boxes (batch, x1, y1, x2, y2) of 8 px to half the image, inside it."""
    size = np.array([image_w, image_h])
    xy = rng.uniform(0, size * 0.9, (k, 2))
    wh = rng.uniform(8, size * 0.5, (k, 2))
    b = rng.integers(0, n_images, (k, 1))
    return np.concatenate([b, xy, np.minimum(xy + wh, size)], axis=1).astype(np.float32)


def ours(op, attrs, x, rois, threads, dtypes):
    """{"ort_roi": fn, "ort_roi <dtype>": fn, ...} for float32 and each of dtypes."""
    fns = {}
    for dtype in (np.float32, *dtypes):
        sess = session(helper.make_node(op, ["X", "rois"], ["Y"], domain="ort_roi", **attrs),
                       ["X", "rois"], threads, dtype)
        feeds = {"X": x.astype(dtype), "rois": rois.astype(dtype)}
        name = "ort_roi" if dtype == np.float32 else f"ort_roi {np.dtype(dtype).name}"
        fns[name] = (lambda s, f: lambda: s.run(None, f))(sess, feeds)
    return fns


def bench_roi_pool(rng, threads, repeat, dtypes):
    out = OrderedDict()
    cases = (("RoIPool Fast R-CNN 1x512x38x50, 1000 rois", (1, 512, 38, 50), 1 / 16, (608, 800)),
             ("RoIPool FPN P2 1x256x200x272, 1000 rois", (1, 256, 200, 272), 1 / 4, (800, 1088)))
    for name, shape, scale, image in cases:
        x = rng.standard_normal(shape, dtype=np.float32)
        rois = proposals(rng, 1000, *image)
        tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
        fns = ours("RoIPool", dict(output_height=7, output_width=7, spatial_scale=scale), x, rois,
                   threads, dtypes)
        fns["torchvision"] = lambda: torchvision.ops.roi_pool(tx, tr, 7, scale)
        builtin = session(helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=[7, 7],
                                           spatial_scale=scale), ["X", "rois"], threads,
                          domain="")
        fns["onnxruntime MaxRoiPool"] = lambda: builtin.run(None, {"X": x, "rois": rois})
        peer = openvino_call(lambda px, pr: _ov2().roi_pooling(
            px, pr, output_size=[7, 7], spatial_scale=scale, method="max"), x, rois, threads)
        if peer:
            fns["openvino ROIPooling"] = peer
        out[name] = interleaved_medians(fns, repeat)
    return out


def _ov2():
    import openvino.opset2 as ov2
    return ov2


def _ov1():
    import openvino.opset1 as ov1
    return ov1


def bench_ps(rng, threads, repeat, ops, dtypes):
    out = OrderedDict()
    image = (608, 800)
    for classes, what in ((21, "R-FCN cls 1x(21*49)x38x50"), (4, "R-FCN box 1x(4*49)x38x50")):
        x = rng.standard_normal((1, classes * 49, 38, 50), dtype=np.float32)
        rois = proposals(rng, 300, *image)
        tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
        if "PSRoIAlign" in ops:
            fns = ours("PSRoIAlign", dict(output_height=7, output_width=7, spatial_scale=1 / 16,
                                          sampling_ratio=2), x, rois, threads, dtypes)
            fns["torchvision"] = lambda: torchvision.ops.ps_roi_align(tx, tr, 7, 1 / 16, 2)
            # OpenVINO's bilinear mode reads rois in [0, 1] of the image (scale 1/800).
            peer = openvino_call(lambda px, pr: _ov1().psroi_pooling(
                px, pr, classes, 2, 1 / image[1], 7, 7, "bilinear"), x, rois, threads)
            if peer:
                fns["openvino PSROIPooling bilinear"] = peer
            out[f"PSRoIAlign {what}, 300 rois, sr 2"] = interleaved_medians(fns, repeat)
        if "PSRoIPool" in ops:
            fns = ours("PSRoIPool", dict(output_height=7, output_width=7, spatial_scale=1 / 16),
                       x, rois, threads, dtypes)
            fns["torchvision"] = lambda: torchvision.ops.ps_roi_pool(tx, tr, 7, 1 / 16)
            peer = openvino_call(lambda px, pr: _ov1().psroi_pooling(
                px, pr, classes, 7, 1 / 16, 1, 1, "average"), x, rois, threads)
            if peer:
                fns["openvino PSROIPooling average"] = peer
            out[f"PSRoIPool {what}, 300 rois"] = interleaved_medians(fns, repeat)
    return out


def bench_multi_scale(rng, threads, repeat):
    # Faster R-CNN FPN box head on two 800x1216 images, 1000 proposals each.
    names = ["0", "1", "2", "3"]
    feats = [rng.standard_normal((2, 256, 200 // 2**i, 304 // 2**i), dtype=np.float32)
             for i in range(4)]
    rois = np.concatenate([proposals(rng, 1000, 800, 800), proposals(rng, 1000, 800, 800)])
    rois[1000:, 0] = 1
    pooler = torchvision.ops.MultiScaleRoIAlign(names, 7, 2)
    tfeats = {n: torch.from_numpy(f) for n, f in zip(names, feats)}
    boxes = [torch.from_numpy(rois[:1000, 1:]), torch.from_numpy(rois[1000:, 1:])]
    shapes = [(800, 1216), (800, 1216)]
    pooler(tfeats, boxes, shapes)  # sets the module's scales
    inputs = ["rois"] + [f"X_{i}" for i in range(4)]
    sess = session(helper.make_node("MultiScaleRoIAlign", inputs, ["Y"], domain="ort_roi",
                                    output_height=7, output_width=7, sampling_ratio=2,
                                    spatial_scales=[0.25, 0.125, 0.0625, 0.03125]),
                   inputs, threads)
    feeds = {"rois": rois, **{f"X_{i}": f for i, f in enumerate(feats)}}
    return {"MultiScaleRoIAlign (4 levels)": interleaved_medians(
        {"ort_roi": lambda: sess.run(None, feeds),
         "torchvision": lambda: pooler(tfeats, boxes, shapes)}, repeat)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--dtypes", nargs="*", default=[], choices=["float16", "float64"])
    p.add_argument("--only", nargs="*",
                   default=["RoIPool", "PSRoIAlign", "PSRoIPool", "MultiScaleRoIAlign"])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    dtypes = [np.dtype(d).type for d in args.dtypes]
    rng = np.random.default_rng(0)
    cases = {}
    if "RoIPool" in args.only:
        cases.update(bench_roi_pool(rng, args.threads, args.repeat, dtypes))
    cases.update(bench_ps(rng, args.threads, args.repeat, args.only, dtypes))
    if "MultiScaleRoIAlign" in args.only:
        cases.update(bench_multi_scale(rng, args.threads, args.repeat))
    print(f"{args.threads} threads, median of {args.repeat} rounds")
    print_ratios(cases)


if __name__ == "__main__":
    main()
