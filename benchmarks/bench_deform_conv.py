"""DeformConv2d: ort_roi vs torchvision vs ONNX Runtime's DeformConv (opset 19)
vs ONNX Runtime's plain Conv of the same shape, and OpenVINO's
DeformableConvolution when the `openvino` package is installed.

Every runtime gets the same inputs and the same thread count, in this process;
runs alternate between runtimes so that load from other processes falls on all
of them alike. The table gives medians and each one over ort_roi's (>1: ort_roi
faster). Issue 10's target: ORT DeformConv and OpenVINO >= 1x, ORT Conv >= 1/1.3.

    .venv/bin/python benchmarks/bench_deform_conv.py [--threads 2] [--repeat 15]
        [--shapes 256x64x64,512x32x32] [--dtype float32] [--no-mask] [--only-ours] [--no-spin]

Each row gives the median wall time and the median CPU time of the process
(every thread) per run, and each over ort_roi's. On a machine shared with
other work the wall ratio mostly measures who got scheduled; run with
--no-spin and read the CPU ratio there.

ORT_ROI_ISA=scalar|avx2|avx512 caps ort_roi's vector level (read once per
process); --dtype float16/float64 times ort_roi in that type beside ort_roi in
float32 (no peers), for the "float16 no slower, float64 within 2x" targets.
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

NAMES = ["X", "W", "offset", "B", "mask"]
NO_SPIN = False  # tuning scripts set it to read CPU time without idle spinning


def make_inputs(cin: int, h: int, w: int, masked: bool, seed: int = 0):
    """A ResNet stage: Cout = Cin, 3x3, stride 1, pad 1, offsets of a few pixels."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, cin, h, w), dtype=np.float32)
    wt = (rng.standard_normal((cin, cin, 3, 3)) / np.sqrt(cin * 9)).astype(np.float32)
    offset = rng.uniform(-2, 2, (1, 18, h, w)).astype(np.float32)
    bias = rng.standard_normal(cin).astype(np.float32)
    mask = rng.uniform(0, 1, (1, 9, h, w)).astype(np.float32) if masked else None
    return [x, wt, offset, bias, mask]


def session(node, names, dtype, threads, opset, ours):
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph([node], "bench",
                              [helper.make_tensor_value_info(n, elem, None) for n in names],
                              [helper.make_tensor_value_info("Y", elem, None)])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ort_roi", 1)] if ours else [])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=9).SerializeToString()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    if NO_SPIN:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if ours:
        return ort_roi.InferenceSession(model, so)
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def runners(inputs, threads, dtype, only_ours):
    x, w, offset, b, mask = inputs
    names = [n for n, a in zip(NAMES, inputs) if a is not None]
    attrs = dict(pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1, offset_group=1)
    feed = {n: a.astype(dtype) for n, a in zip(NAMES, inputs) if a is not None}
    ours = session(helper.make_node("DeformConv2d", names, ["Y"], domain="ort_roi", **attrs),
                   names, dtype, threads, 17, True)
    out = {f"ort_roi {np.dtype(dtype).name}": (lambda: ours.run(None, feed)[0])}
    if dtype != np.float32:  # the float32 run beside it, for the ratio
        feed32 = {n: a for n, a in zip(NAMES, inputs) if a is not None}
        ours32 = session(helper.make_node("DeformConv2d", names, ["Y"], domain="ort_roi", **attrs),
                         names, np.float32, threads, 17, True)
        out["ort_roi float32"] = lambda: ours32.run(None, feed32)[0]
    if only_ours:
        return out
    feed32 = {n: a for n, a in zip(NAMES, inputs) if a is not None}
    ort_dc = session(helper.make_node("DeformConv", names, ["Y"], kernel_shape=[3, 3], **attrs),
                     names, np.float32, threads, 19, False)
    out["ORT DeformConv"] = lambda: ort_dc.run(None, feed32)[0]
    conv_feed = {"X": x, "W": w, "B": b}
    ort_conv = session(helper.make_node("Conv", ["X", "W", "B"], ["Y"], pads=[1, 1, 1, 1]),
                       ["X", "W", "B"], np.float32, threads, 17, False)
    out["ORT Conv (no offsets)"] = lambda: ort_conv.run(None, conv_feed)[0]
    torch.set_num_threads(threads)
    t = [None if a is None else torch.from_numpy(a) for a in inputs]
    out["torchvision"] = lambda: torchvision.ops.deform_conv2d(t[0], t[2], t[1], t[3], padding=1,
                                                               mask=t[4]).numpy()
    ov = openvino_runner(inputs, threads)
    if ov is not None:
        out["OpenVINO DeformableConv"] = ov
    return out


def openvino_runner(inputs, threads):
    """OpenVINO's CPU plugin on its DeformableConvolution (opset 8), or None."""
    try:
        import openvino as ov
        import openvino.opset8 as ops8
    except ImportError:
        return None
    x, w, offset, b, mask = inputs
    px = ops8.parameter(x.shape, np.float32, name="X")
    po = ops8.parameter(offset.shape, np.float32, name="offset")
    params = [px, po]
    pm = None
    if mask is not None:
        pm = ops8.parameter(mask.shape, np.float32, name="mask")
        params.append(pm)
    y = ops8.deformable_convolution(px, po, ops8.constant(w), strides=[1, 1], pads_begin=[1, 1],
                                    pads_end=[1, 1], dilations=[1, 1], mask=pm, group=1,
                                    deformable_group=1,                                    bilinear_interpolation_pad=True)
    y = ops8.add(y, ops8.constant(b.reshape(1, -1, 1, 1)))
    core = ov.Core()
    compiled = core.compile_model(ov.Model([y], params), "CPU",
                                  {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
                                   "NUM_STREAMS": 1})
    request = compiled.create_infer_request()
    feed = [x, offset] + ([mask] if mask is not None else [])
    return lambda: request.infer(feed)


def time_alternately(fns: dict, repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall and median CPU (all threads of this process) ms per runtime."""
    for fn in fns.values():
        fn()  # warm-up: session set-up, allocations
    times = {name: ([], []) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name][0].append((time.perf_counter() - t0) * 1e3)
            times[name][1].append((time.process_time() - c0) * 1e3)
    return {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--shapes", default="256x64x64,512x32x32", help="CinxHxW,...")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "float64"])
    ap.add_argument("--no-mask", action="store_true", help="DCNv1: offsets only")
    ap.add_argument("--only-ours", action="store_true")
    ap.add_argument("--no-spin", action="store_true",
                    help="ORT's pool threads sleep instead of spinning when idle, so that the CPU "
                         "column counts work, not waiting (for a machine shared with other jobs)")
    args = ap.parse_args()
    global NO_SPIN
    NO_SPIN = args.no_spin
    dtype = np.dtype(args.dtype).type
    print(f"threads {args.threads} on every side, {args.repeat} alternating runs, medians; "
          f"ort_roi {ort_roi.get_library_path()}")
    for shape in args.shapes.split(","):
        cin, h, w = (int(v) for v in shape.split("x"))
        inputs = make_inputs(cin, h, w, not args.no_mask)
        fns = runners(inputs, args.threads, dtype, args.only_ours or dtype != np.float32)
        if not args.only_ours and dtype == np.float32:
            want = fns["torchvision"]()
            got = next(iter(fns.values()))()
            err = float(np.max(np.abs(got.astype(np.float64) - want)))
            print(f"1x{shape} max |ours - torchvision| = {err:.2e}")
        medians = time_alternately(fns, args.repeat)
        base, base_cpu = next(iter(medians.values()))
        label = f"1x{shape} {'offsets' if args.no_mask else 'offsets+mask'}"
        print(f"{'case':<28}{'runtime':<26}{'wall ms':>9}{'ratio':>8}{'cpu ms':>10}{'ratio':>8}")
        for name, (ms, cpu) in medians.items():
            print(f"{label:<28}{name:<26}{ms:>9.2f}{ms / base:>7.2f}x{cpu:>10.2f}{cpu / base_cpu:>7.2f}x")


if __name__ == "__main__":
    main()
