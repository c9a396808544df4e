"""PSRoIAlign, PSRoIPool and the fused MultiScaleRoIAlign: ort_roi vs torchvision.

ONNX Runtime has no built-in op for these; torchvision runs in this process on
the same inputs with the same thread count. Ratios are torchvision's median
over ort_roi's (>1: ort_roi faster). ort_roi's time includes ORT's session.run
overhead (input binding, output allocation).

    .venv/bin/python benchmarks/bench_pooling_family.py [--threads 2] [--repeat 9]
"""

from __future__ import annotations

import argparse
from collections import OrderedDict

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi
from bench_roi_ops import median_ms, print_ratios


def session(node, names, threads):
    graph = helper.make_graph(
        [node], "bench", [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ort_roi", 1)],
                              ir_version=8)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    return ort_roi.InferenceSession(model.SerializeToString(), so)


def proposals(rng, k, image, n_images):
    xy = rng.uniform(0, image * 0.9, (k, 2))
    wh = rng.uniform(8, image * 0.5, (k, 2))
    b = rng.integers(0, n_images, (k, 1))
    return np.concatenate([b, xy, np.minimum(xy + wh, image)], axis=1).astype(np.float32)


def bench_ps(rng, threads, repeat):
    # R-FCN-like: 7x7 bins of 10 classes' position-sensitive score maps.
    x = rng.standard_normal((1, 10 * 49, 64, 64), dtype=np.float32)
    rois = proposals(rng, 300, 1024, 1)
    tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
    out = OrderedDict()
    for op, fn in (("PSRoIAlign", torchvision.ops.ps_roi_align),
                   ("PSRoIPool", torchvision.ops.ps_roi_pool)):
        attrs = dict(output_height=7, output_width=7, spatial_scale=1 / 16)
        if op == "PSRoIAlign":
            attrs["sampling_ratio"] = 2
        sess = session(helper.make_node(op, ["X", "rois"], ["Y"], domain="ort_roi", **attrs),
                       ["X", "rois"], threads)
        args = (7, 1 / 16, 2) if op == "PSRoIAlign" else (7, 1 / 16)
        out[op] = {"ort_roi": median_ms(lambda: sess.run(None, {"X": x, "rois": rois}), repeat),
                   "torchvision": median_ms(lambda: fn(tx, tr, *args), repeat)}
    return out


def bench_multi_scale(rng, threads, repeat):
    # Faster R-CNN FPN box head on two 800x1216 images, 1000 proposals each.
    names = ["0", "1", "2", "3"]
    feats = [rng.standard_normal((2, 256, 200 // 2**i, 304 // 2**i), dtype=np.float32)
             for i in range(4)]
    rois = np.concatenate([proposals(rng, 1000, 800, 1), proposals(rng, 1000, 800, 1)])
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
    return {"MultiScaleRoIAlign (4 levels)": {
        "ort_roi": median_ms(lambda: sess.run(None, feeds), repeat),
        "torchvision": median_ms(lambda: pooler(tfeats, boxes, shapes), repeat)}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    cases = {**bench_ps(rng, args.threads, args.repeat),
             **bench_multi_scale(rng, args.threads, args.repeat)}
    print(f"{args.threads} threads, median of {args.repeat}")
    print_ratios(cases)


if __name__ == "__main__":
    main()
