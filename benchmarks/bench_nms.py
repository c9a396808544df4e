"""NMS and BatchedNMS: ort_roi vs torchvision vs ONNX Runtime's NonMaxSuppression.

Same boxes, same process, same thread count; ratios are each runtime's median
over ort_roi's (>1: ort_roi faster). ORT's NonMaxSuppression is not a drop-in
equivalent (batch/class layout, center_point_box, max_output_boxes_per_class),
but it is what an exported detector runs without ort_roi, so it is timed with
per-class scores laid out the way it wants them.

    .venv/bin/python benchmarks/bench_nms.py [--boxes 5000] [--classes 80]
"""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi
from bench_roi_ops import median_ms, print_ratios


def model(nodes, inputs, output, ort_roi_domain):
    opsets = [helper.make_opsetid("", 17)]
    if ort_roi_domain:
        opsets.append(helper.make_opsetid("ort_roi", 1))
    graph = helper.make_graph(nodes, "bench",
                              [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
                              [helper.make_tensor_value_info(output, TensorProto.INT64, None)])
    return helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--boxes", type=int, default=5000)
    p.add_argument("--classes", type=int, default=80)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 800, (args.boxes, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 200, (args.boxes, 2))], 1).astype(np.float32)
    scores = rng.uniform(0, 1, args.boxes).astype(np.float32)
    idxs = rng.integers(0, args.classes, args.boxes).astype(np.int64)
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    f, i64 = TensorProto.FLOAT, TensorProto.INT64

    nms = ort_roi.InferenceSession(model(
        [helper.make_node("NMS", ["boxes", "scores"], ["keep"], domain="ort_roi", iou_threshold=0.5)],
        [("boxes", f), ("scores", f)], "keep", True), so)
    bnms = ort_roi.InferenceSession(model(
        [helper.make_node("BatchedNMS", ["boxes", "scores", "idxs"], ["keep"], domain="ort_roi",
                          iou_threshold=0.5)],
        [("boxes", f), ("scores", f), ("idxs", i64)], "keep", True), so)
    builtin = ort.InferenceSession(model(
        [helper.make_node("NonMaxSuppression", ["b", "s", "m", "t", "st"], ["keep"])],
        [("b", f), ("s", f), ("m", i64), ("t", f), ("st", f)], "keep", False), so,
        providers=["CPUExecutionProvider"])

    tb, ts, ti = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs)
    one_class = {"b": boxes[None], "s": scores[None, None], "m": np.array([args.boxes]),
                 "t": np.array([0.5], np.float32), "st": np.array([-1.0], np.float32)}
    per_class = np.zeros((1, args.classes, args.boxes), np.float32)
    per_class[0, idxs, np.arange(args.boxes)] = scores
    # A score threshold just above 0 leaves each class its own boxes only.
    many = dict(one_class, s=per_class, st=np.array([1e-12], np.float32))
    cases = {
        "NMS": {
            "ort_roi": median_ms(lambda: nms.run(None, {"boxes": boxes, "scores": scores}), args.repeat),
            "torchvision": median_ms(lambda: torchvision.ops.nms(tb, ts, 0.5), args.repeat),
            "onnxruntime NonMaxSuppression": median_ms(lambda: builtin.run(None, one_class), args.repeat),
        },
        f"BatchedNMS ({args.classes} classes)": {
            "ort_roi": median_ms(lambda: bnms.run(None, {"boxes": boxes, "scores": scores,
                                                         "idxs": idxs}), args.repeat),
            "torchvision": median_ms(lambda: torchvision.ops.batched_nms(tb, ts, ti, 0.5), args.repeat),
            "onnxruntime NonMaxSuppression": median_ms(lambda: builtin.run(None, many), args.repeat),
        },
    }
    print(f"{args.boxes} boxes, IoU 0.5, {args.threads} threads, median of {args.repeat}")
    print_ratios(cases)


if __name__ == "__main__":
    main()
