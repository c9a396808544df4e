"""NMS and BatchedNMS: ort_roi vs torchvision vs ONNX Runtime's and OpenVINO's NonMaxSuppression.

Same boxes, same process, same thread count on every side; the runtimes take
turns call by call, so that load from other processes falls on all of them
alike. Ratios are each runtime's median over ort_roi's (>1: ort_roi faster).
ort_roi's keep list is checked against torchvision's before timing.

The NonMaxSuppression ops are not drop-in equivalents (batch/class layout,
max_output_boxes_per_class, outputs of [M, 3] triples), but they are what an
exported detector runs without ort_roi, so they are timed with the scores
laid out the way they want them: [1, 1, N] for NMS, and for BatchedNMS
[1, classes, N] with each box's score in its own class and 0 elsewhere, a
score threshold just above 0 leaving each class its own boxes. OpenVINO's
column needs the `openvino` package and is left out, with a note, without it.

    .venv/bin/python benchmarks/bench_nms.py [--boxes 1000 5000 20000] [--classes 80]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi
from bench_roi_ops import print_ratios


def model(nodes, inputs, output, ort_roi_domain):
    opsets = [helper.make_opsetid("", 17)]
    if ort_roi_domain:
        opsets.append(helper.make_opsetid("ort_roi", 1))
    graph = helper.make_graph(nodes, "bench",
                              [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
                              [helper.make_tensor_value_info(output, TensorProto.INT64, None)])
    return helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()


def interleaved_ms(fns: dict[str, object], repeat: int) -> dict[str, float]:
    """Median ms of each callable, the callables run in turn `repeat` times."""
    for fn in fns.values():
        fn()  # warm-up: set-up, allocations
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def openvino_nms(threads: int):
    """A function (boxes [1, N, 4], scores [1, C, N], score threshold) -> run
    callable on OpenVINO's CPU NonMaxSuppression, or None without openvino."""
    try:
        import openvino as ov
        import openvino.opset13 as ops
    except ImportError:
        return None
    core = ov.Core()

    def build(boxes, scores, score_threshold, iou):
        b = ops.parameter([1, -1, 4], np.float32, name="boxes")
        s = ops.parameter([1, -1, -1], np.float32, name="scores")
        nms = ops.non_max_suppression(b, s, np.array([boxes.shape[1]], np.int64),
                                      np.array([iou], np.float32),
                                      np.array([score_threshold], np.float32),
                                      box_encoding="corner", sort_result_descending=True,
                                      output_type="i64")
        compiled = core.compile_model(ov.Model([nms.output(0)], [b, s]), "CPU",
                                      {"INFERENCE_NUM_THREADS": threads})
        request = compiled.create_infer_request()
        return lambda: request.infer({"boxes": boxes, "scores": scores})

    return build


def inputs(n: int, classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 800, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 200, (n, 2))], 1).astype(np.float32)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    idxs = rng.integers(0, classes, n).astype(np.int64)
    return boxes, scores, idxs


def bench(n: int, args, build_openvino) -> dict[str, dict[str, float]]:
    boxes, scores, idxs = inputs(n, args.classes)
    iou = args.iou
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    f, i64 = TensorProto.FLOAT, TensorProto.INT64
    nms = ort_roi.InferenceSession(model(
        [helper.make_node("NMS", ["boxes", "scores"], ["keep"], domain="ort_roi", iou_threshold=iou)],
        [("boxes", f), ("scores", f)], "keep", True), so)
    bnms = ort_roi.InferenceSession(model(
        [helper.make_node("BatchedNMS", ["boxes", "scores", "idxs"], ["keep"], domain="ort_roi",
                          iou_threshold=iou)],
        [("boxes", f), ("scores", f), ("idxs", i64)], "keep", True), so)
    builtin = ort.InferenceSession(model(
        [helper.make_node("NonMaxSuppression", ["b", "s", "m", "t", "st"], ["keep"])],
        [("b", f), ("s", f), ("m", i64), ("t", f), ("st", f)], "keep", False), so,
        providers=["CPUExecutionProvider"])

    tb, ts, ti = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(idxs)
    feeds = {"boxes": boxes, "scores": scores}
    bfeeds = dict(feeds, idxs=idxs)
    np.testing.assert_array_equal(nms.run(None, feeds)[0], torchvision.ops.nms(tb, ts, iou))
    np.testing.assert_array_equal(bnms.run(None, bfeeds)[0],
                                  torchvision.ops.batched_nms(tb, ts, ti, iou))

    one_class = {"b": boxes[None], "s": scores[None, None], "m": np.array([n]),
                 "t": np.array([iou], np.float32), "st": np.array([-1.0], np.float32)}
    per_class = np.zeros((1, args.classes, n), np.float32)
    per_class[0, idxs, np.arange(n)] = scores
    # A score threshold just above 0 leaves each class its own boxes only.
    many = dict(one_class, s=per_class, st=np.array([1e-12], np.float32))
    runs = {
        "NMS": {
            "ort_roi": lambda: nms.run(None, feeds),
            "torchvision": lambda: torchvision.ops.nms(tb, ts, iou),
            "onnxruntime NonMaxSuppression": lambda: builtin.run(None, one_class),
        },
        f"BatchedNMS ({args.classes} classes)": {
            "ort_roi": lambda: bnms.run(None, bfeeds),
            "torchvision": lambda: torchvision.ops.batched_nms(tb, ts, ti, iou),
            "onnxruntime NonMaxSuppression": lambda: builtin.run(None, many),
        },
    }
    if build_openvino is not None:
        runs["NMS"]["openvino NonMaxSuppression"] = build_openvino(boxes[None], scores[None, None],
                                                                   -1.0, iou)
        runs[f"BatchedNMS ({args.classes} classes)"]["openvino NonMaxSuppression"] = \
            build_openvino(boxes[None], per_class, 1e-12, iou)
    return {f"{case} {n}": interleaved_ms(fns, args.repeat) for case, fns in runs.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--boxes", type=int, nargs="+", default=[1000, 5000, 20000])
    p.add_argument("--classes", type=int, default=80)
    p.add_argument("--iou", type=float, default=0.5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    build_openvino = openvino_nms(args.threads)
    cases = {}
    for n in args.boxes:
        print(f"timing {n} boxes ...", flush=True)
        cases.update(bench(n, args, build_openvino))
    print(f"IoU {args.iou}, {args.threads} threads on every side, median of {args.repeat}, "
          "runtimes in turn")
    if build_openvino is None:
        print("note: openvino is not installed; its column is left out (pip install openvino)")
    print_ratios(cases)


if __name__ == "__main__":
    main()
