"""RoIAlign, MultiScaleRoIAlign and RoIPool: ort_roi vs torchvision vs ONNX
Runtime's built-in ops.

All run in this process on the same inputs with the same thread count, taking
turns run by run; the table gives medians and the ratio of each to ort_roi
(>1: ort_roi faster). ort_roi's float16 and float64 rows are ratios to its
float32 run (>1: slower than float32). The vector level is ORT_ROI_ISA's
(scalar, avx2, avx512; unset: what the processor has).

    .venv/bin/python benchmarks/bench_roi_ops.py [--threads 2] [--repeat 15]
    ORT_ROI_ISA=avx2 .venv/bin/python benchmarks/bench_roi_ops.py --only align
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

if __name__ == "__main__" and "--spin" not in sys.argv:
    # Idle threads sleep instead of spinning on every side (torch's OpenMP
    # reads this once, at import): taking turns on a few shared cores, one
    # side's spinning threads would otherwise take the cores from the next
    # side's run, and count in its CPU time.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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


# Median process CPU ms per call (every thread's), by case and runtime, as
# medians_taking_turns measures them: on a loaded machine, where wall times
# mostly say who waited for a core, the work each side does.
CPU_MS: dict[str, dict[str, float]] = {}


def medians_taking_turns(fns: dict, repeat: int, case: str | None = None) -> dict[str, float]:
    """Median wall ms of each function, run in turn (one run of each per
    round) so that a shared machine's load falls on all of them alike; with
    `case`, CPU_MS[case] gets the CPU medians."""
    for fn in fns.values():
        fn()  # warm-up
    times = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name].append((time.process_time() - c0) * 1e3)
    if case is not None:
        CPU_MS[case] = {name: statistics.median(t) for name, t in cpu.items()}
    return {name: statistics.median(t) for name, t in times.items()}


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


# ORT sessions' idle intra-op threads sleep rather than spin (see above);
# --spin keeps ORT's and OpenMP's defaults.
SPIN = True

ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16,
             np.float64: TensorProto.DOUBLE}


def session(nodes, inputs, output, threads, domain_ort_roi, out_type=TensorProto.FLOAT):
    opsets = [helper.make_opsetid("", 16)]
    if domain_ort_roi:
        opsets.append(helper.make_opsetid("ort_roi", 1))
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
        [helper.make_tensor_value_info(output, out_type, None)])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    if not SPIN:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if domain_ort_roi:
        return ort_roi.InferenceSession(model, so)
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def proposals(rng, k: int, height: int, width: int, min_side: float, max_side: float):
    """[k, 5] rois on image 0 of an image height x width (input coordinates)."""
    xy = rng.uniform(0, [width - min_side, height - min_side], (k, 2))
    wh = rng.uniform(min_side, max_side, (k, 2))
    return np.concatenate([np.zeros((k, 1)), xy, xy + wh], axis=1).astype(np.float32)


def make_inputs(k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    # An FPN P2-sized map (stride 4 of an 800x1088 image) and proposals on it.
    x = rng.standard_normal((1, 256, 200, 272), dtype=np.float32)
    xy = rng.uniform(0, 1000, (k, 2))
    wh = rng.uniform(16, 400, (k, 2))
    rois = np.concatenate([np.zeros((k, 1)), xy, xy + wh], axis=1).astype(np.float32)
    return x, rois


def ours_roi_align(x, rois, size, threads, aligned, ratio=2, scale=0.25):
    t = ONNX_TYPE[x.dtype.type]
    s = session([helper.make_node("RoIAlign", ["X", "rois"], ["Y"], domain="ort_roi",
                                  output_height=size, output_width=size, spatial_scale=scale,
                                  sampling_ratio=ratio, aligned=int(aligned))],
                [("X", t), ("rois", t)], "Y", threads, True, t)
    return lambda: s.run(None, {"X": x, "rois": rois})


def openvino_roi_align(x, rois, size, threads):
    """OpenVINO's CPU ROIAlign (opset 9, "avg": torchvision's aligned=False),
    or None without the openvino package."""
    try:
        import openvino as ov
        import openvino.opset9 as opset
    except ImportError:
        return None
    k = len(rois)
    data = opset.parameter(list(x.shape), np.float32)
    boxes = opset.parameter([k, 4], np.float32)
    index = opset.parameter([k], np.int32)
    node = opset.roi_align(data, boxes, index, size, size, 2, 0.25, "avg")
    compiled = ov.Core().compile_model(ov.Model([node], [data, boxes, index]), "CPU",
                                       {"INFERENCE_NUM_THREADS": threads,
                                        "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    feeds = [x, rois[:, 1:].copy(), rois[:, 0].astype(np.int32)]
    return lambda: request.infer(feeds)


def bench_roi_align(x, rois, threads, repeat, aligned, size=7, dtypes=True, case=None):
    attrs = dict(output_height=size, output_width=size, spatial_scale=0.25, sampling_ratio=2)
    builtin = session([helper.make_node(
        "RoiAlign", ["X", "boxes", "idx"], ["Y"], mode="avg",
        coordinate_transformation_mode="half_pixel" if aligned else "output_half_pixel", **attrs)],
        [("X", TensorProto.FLOAT), ("boxes", TensorProto.FLOAT), ("idx", TensorProto.INT64)],
        "Y", threads, False)
    tx, tr = torch.from_numpy(x), torch.from_numpy(rois)
    feeds_b = {"X": x, "boxes": rois[:, 1:].copy(), "idx": rois[:, 0].astype(np.int64)}
    fns = {
        "ort_roi": ours_roi_align(x, rois, size, threads, aligned),
        "torchvision": lambda: torchvision.ops.roi_align(tx, tr, size, 0.25, 2, aligned),
        "onnxruntime RoiAlign": lambda: builtin.run(None, feeds_b),
    }
    openvino = None if aligned else openvino_roi_align(x, rois, size, threads)
    if openvino is not None:
        fns["openvino ROIAlign"] = openvino
    if dtypes:
        for dt in (np.float16, np.float64):
            fns[f"ort_roi {np.dtype(dt).name}"] = ours_roi_align(
                x.astype(dt), rois.astype(dt), size, threads, aligned)
    return medians_taking_turns(fns, repeat, case)


# An 800x1216 image's FPN levels P2-P5 (strides 4 to 32), as torchvision's
# Mask R-CNN feeds its MultiScaleRoIAlign.
FPN_SHAPES = [(200, 304), (100, 152), (50, 76), (25, 38)]
IMAGE = (800, 1216)


def bench_multi_scale(rng, k, size, threads, repeat, channels=256, case=None):
    feats = {str(i): rng.standard_normal((1, channels, h, w), dtype=np.float32)
             for i, (h, w) in enumerate(FPN_SHAPES)}
    rois = proposals(rng, k, *IMAGE, 8, 600)
    names = [f"X{i}" for i in range(len(feats))]
    node = helper.make_node("MultiScaleRoIAlign", ["rois", *names], ["Y"], domain="ort_roi",
                            output_height=size, output_width=size, sampling_ratio=2,
                            spatial_scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32])
    ours = session([node], [("rois", TensorProto.FLOAT)] + [(n, TensorProto.FLOAT) for n in names],
                   "Y", threads, True)
    feeds = {"rois": rois, **{n: f for n, f in zip(names, feats.values())}}
    pooler = torchvision.ops.MultiScaleRoIAlign(list(feats), size, 2)
    tf = {k_: torch.from_numpy(v) for k_, v in feats.items()}
    tb = [torch.from_numpy(rois[:, 1:].copy())]
    return medians_taking_turns({
        "ort_roi": lambda: ours.run(None, feeds),
        "torchvision MultiScaleRoIAlign": lambda: pooler(tf, tb, [IMAGE]),
    }, repeat, case)


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
    p.add_argument("--only", choices=["align", "multi_scale", "pool"],
                   help="run one family of rows")
    p.add_argument("--spin", action="store_true",
                   help="keep ORT's and OpenMP's spinning idle threads (their defaults)")
    args = p.parse_args()
    global SPIN
    SPIN = args.spin
    torch.set_num_threads(args.threads)
    x, rois = make_inputs(args.rois)
    level = os.environ.get("ORT_ROI_ISA", "(unset: the processor's best)")
    print(f"X {list(x.shape)}, {len(rois)} rois (mask head: the first 100), {args.threads} "
          f"threads every side, median of {args.repeat}, ORT_ROI_ISA={level}, idle threads "
          f"{'spin (defaults)' if SPIN else 'sleep (OMP_WAIT_POLICY=PASSIVE, ORT allow_spinning=0)'}",
          flush=True)
    rng = np.random.default_rng(1)
    cases = {}
    if args.only in (None, "align"):
        for case, r, size, aligned, dtypes in (
                ("RoIAlign box head 7x7", rois, 7, False, True),
                ("RoIAlign box head aligned", rois, 7, True, False),
                ("RoIAlign mask head 14x14", rois[:100], 14, False, True)):
            cases[case] = bench_roi_align(x, r, args.threads, args.repeat, aligned, size, dtypes,
                                          case)
    if args.only in (None, "multi_scale"):
        for case, k, size in (("MultiScaleRoIAlign box head", args.rois, 7),
                              ("MultiScaleRoIAlign mask head", 100, 14)):
            cases[case] = bench_multi_scale(rng, k, size, args.threads, args.repeat, case=case)
    if args.only in (None, "pool"):
        cases["RoIPool"] = bench_roi_pool(x, rois, args.threads, args.repeat)
    print_ratios(cases)
    if CPU_MS:
        print("\nprocess CPU ms per call (all threads; the work, whatever the machine's load):")
        print_ratios(CPU_MS)


if __name__ == "__main__":
    main()
