"""RoIAlign and RoIPool: ort_roi vs torchvision vs ONNX Runtime's built-in ops.

All three run in this process on the same inputs with the same thread count;
the table gives medians and the ratio of each to ort_roi (>1: ort_roi faster).

    .venv/bin/python benchmarks/bench_roi_ops.py [--threads 2] [--repeat 15]
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


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: session set-up, allocations
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def print_ratios(cases: dict[str, dict[str, float]],
                 notes: dict[tuple[str, str], str] | None = None) -> None:
    """One row per (case, runtime): its median and that over ort_roi's (>1: ort_roi faster).

    ``notes[(case, runtime)]``, where given, ends that row (a target, say).
    """
    notes = notes or {}
    case_w = max(len(c) for c in [*cases, "case"]) + 2
    name_w = max(len(n) for times in cases.values() for n in [*times, "runtime"]) + 2
    print(f"{'case':<{case_w}}{'runtime':<{name_w}}{'median ms':>10}{'vs ort_roi':>12}"
          + ("  notes" if notes else ""))
    for case, times in cases.items():
        for name, ms in times.items():
            note = notes.get((case, name), "")
            print(f"{case:<{case_w}}{name:<{name_w}}{ms:>10.3f}{ms / times['ort_roi']:>11.2f}x"
                  + (f"  {note}" if note else ""))


def session(nodes, inputs, output, threads, domain_ort_roi):
    opsets = [helper.make_opsetid("", 16)]
    if domain_ort_roi:
        opsets.append(helper.make_opsetid("ort_roi", 1))
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    if domain_ort_roi:
        return ort_roi.InferenceSession(model, so)
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def make_inputs(k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    # An FPN P2-sized map (stride 4 of an 800x1088 image) and proposals on it.
    x = rng.standard_normal((1, 256, 200, 272), dtype=np.float32)
    xy = rng.uniform(0, 1000, (k, 2))
    wh = rng.uniform(16, 400, (k, 2))
    rois = np.concatenate([np.zeros((k, 1)), xy, xy + wh], axis=1).astype(np.float32)
    return x, rois


def bench_roi_align(x, rois, threads, repeat, aligned):
    attrs = dict(output_height=7, output_width=7, spatial_scale=0.25, sampling_ratio=2)
    ours = session([helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                                     aligned=int(aligned), **attrs)],
                   [("X", TensorProto.FLOAT), ("rois", TensorProto.FLOAT)], "Y", threads, True)
    builtin = session([helper.make_node(
        "RoiAlign", ["X", "boxes", "idx"], ["Y"], mode="avg",
        coordinate_transformation_mode="half_pixel" if aligned else "output_half_pixel", **attrs)],
        [("X", TensorProto.FLOAT), ("boxes", TensorProto.FLOAT), ("idx", TensorProto.INT64)],
        "Y", threads, False)
    tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
    feeds_b = {"X": x, "boxes": rois[:, 1:].copy(), "idx": rois[:, 0].astype(np.int64)}
    return {
        "ort_roi": median_ms(lambda: ours.run(None, {"X": x, "rois": rois}), repeat),
        "torchvision": median_ms(
            lambda: torchvision.ops.roi_align(tx, tr, 7, 0.25, 2, aligned), repeat),
        "onnxruntime RoiAlign": median_ms(lambda: builtin.run(None, feeds_b), repeat),
    }


def bench_roi_pool(x, rois, threads, repeat):
    ours = session([helper.make_node("RoIPool", ["X", "rois"], ["Y"], domain="ort_roi",
                                     output_height=7, output_width=7, spatial_scale=0.25)],
                   [("X", TensorProto.FLOAT), ("rois", TensorProto.FLOAT)], "Y", threads, True)
    builtin = session([helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=[7, 7],
                                        spatial_scale=0.25)],
                      [("X", TensorProto.FLOAT), ("rois", TensorProto.FLOAT)], "Y", threads, False)
    tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
    return {
        "ort_roi": median_ms(lambda: ours.run(None, {"X": x, "rois": rois}), repeat),
        "torchvision": median_ms(lambda: torchvision.ops.roi_pool(tx, tr, 7, 0.25), repeat),
        "onnxruntime MaxRoiPool": median_ms(lambda: builtin.run(None, {"X": x, "rois": rois}),
                                            repeat),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--rois", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x, rois = make_inputs(args.rois)
    print(f"X {list(x.shape)}, {len(rois)} rois, 7x7, {args.threads} threads, "
          f"median of {args.repeat}")
    cases = {
        "RoIAlign aligned=False": bench_roi_align(x, rois, args.threads, args.repeat, False),
        "RoIAlign aligned=True": bench_roi_align(x, rois, args.threads, args.repeat, True),
        "RoIPool": bench_roi_pool(x, rois, args.threads, args.repeat),
    }
    print_ratios(cases)


if __name__ == "__main__":
    main()
