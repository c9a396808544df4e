"""ort_roi's CUDA kernels vs torchvision's CUDA ops vs ONNX Runtime's own CUDA ops.

Every workload runs in this one process on the same float32 inputs on the GPU:
ort_roi through onnxruntime-gpu's CUDAExecutionProvider with IO binding, so
inputs and outputs stay on the device and no host copy is timed; torchvision
on CUDA tensors; ONNX Runtime's built-in op where ORT has a CUDA kernel for
it (else that row is skipped with ORT's reason). Every timed call ends once
the device is idle (ORT's output synchronisation, torch.cuda.synchronize()).
The table gives medians after warm-up and each runtime's median over
ort_roi's (>1: ort_roi faster), with issue 9's targets next to torchvision.

    make bench-gpu      # PYTHONPATH=.venv/ort-gpu .venv/bin/python benchmarks/bench_cuda.py
    .venv/bin/python benchmarks/bench_cuda.py --smoke   # tiny shapes on the CPU, no GPU

`--device cpu` runs the full shapes on ORT's CPU provider and torch's CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from functools import partial

import numpy as np
import onnxruntime as ort
# Importing torch loads its wheel's CUDA 13 runtime, cuBLAS, cuFFT, cuRAND and
# cuDNN; onnxruntime-gpu's CUDA EP, loaded with the first session, finds them
# there rather than needing them on the library path.
import torch
import torchvision
from onnx import TensorProto, helper

import ort_roi

ONNX_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}
# Issue 9: a peer's median over ort_roi's that the CUDA kernels should reach.
TARGETS = {"RoIAlign": ("torchvision", 2), "PSRoIAlign": ("torchvision", 2),
           "MultiScaleRoIAlign": ("torchvision", 5), "NMS": ("torchvision", 1),
           "DeformConv2d": ("torchvision", 1), "MaskRCNN": ("torchvision's standard export", 1)}


def median_ms(call, repeat: int) -> float:
    """Median wall ms of `repeat` calls, after one more untimed (the caller warms up too)."""
    call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def print_ratios(cases: dict[str, dict[str, float]], notes: dict[tuple[str, str], str]) -> None:
    """The table: a line per (workload, runtime), its median and that over ort_roi's
    (>1: ort_roi faster), then the note for that pair, if any (a target)."""
    case_w = max(len(c) for c in [*cases, "case"]) + 2
    name_w = max(len(n) for times in cases.values() for n in [*times, "runtime"]) + 2
    print(f"{'case':<{case_w}}{'runtime':<{name_w}}{'median ms':>10}{'vs ort_roi':>12}"
          + ("  notes" if notes else ""))
    for case, times in cases.items():
        for runtime, ms in times.items():
            note = notes.get((case, runtime), "")
            print(f"{case:<{case_w}}{runtime:<{name_w}}{ms:>10.3f}"
                  f"{ms / times['ort_roi']:>11.2f}x" + (f"  {note}" if note else ""))


def model(op, feeds, out_type, opset, domain="", **attrs) -> bytes:
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    graph = helper.make_graph(
        [helper.make_node(op, list(feeds), ["Y"], domain=domain, **attrs)], op,
        [helper.make_tensor_value_info(n, ONNX_TYPE[a.dtype], None) for n, a in feeds.items()],
        [helper.make_tensor_value_info("Y", out_type, None)])
    return helper.make_model(graph, opset_imports=opsets, ir_version=9).SerializeToString()


class Bound:
    """One ORT session on inputs copied to the device once, its output left there."""

    def __init__(self, sess, feeds, device, host):
        self.sess, self.binding = sess, sess.io_binding()
        # Held here: on the CPU an OrtValue wraps its NumPy array without a copy.
        self.values = {n: ort.OrtValue.ortvalue_from_numpy(a, device, 0)
                       for n, a in feeds.items() if n not in host}
        for name, value in self.values.items():
            self.binding.bind_ortvalue_input(name, value)
        for name in host:  # scalars ORT's kernel reads on the host (NonMaxSuppression's limits)
            self.binding.bind_cpu_input(name, feeds[name])
        self.binding.bind_output("Y", device)  # ORT allocates it there; no host copy

    def __call__(self):
        self.sess.run_with_iobinding(self.binding)
        self.binding.synchronize_outputs()  # the time ends when the device is done

    def result(self) -> np.ndarray:
        return self.binding.copy_outputs_to_cpu()[0]


class TorchCall:
    def __init__(self, device, fn, *args, **kwargs):
        self.device, self.fn, self.args, self.kwargs = device, fn, args, kwargs

    def __call__(self):
        self.out = self.fn(*self.args, **self.kwargs)
        if self.device == "cuda":  # kernels are queued; wait for them as ORT's call does
            torch.cuda.synchronize()

    def result(self) -> np.ndarray:
        return self.out.cpu().numpy()


class Device:
    def __init__(self, kind, threads):
        self.kind, self.threads = kind, threads
        self.ep = "CUDAExecutionProvider" if kind == "cuda" else "CPUExecutionProvider"

    def session(self, onnx_model, ours, whole_model=False):
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.log_severity_level = 3
        # One node: one with no CUDA kernel fails here, not silently on the CPU.
        # A whole model keeps ORT's placement (shape arithmetic on the CPU).
        if self.kind == "cuda" and not whole_model:
            so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
        sess = (ort_roi.InferenceSession if ours else ort.InferenceSession)(
            onnx_model, so, providers=[self.ep])
        if self.ep not in sess.get_providers():  # ORT drops an EP it cannot load with a log line
            raise RuntimeError(f"ONNX Runtime could not load {self.ep}")
        return sess

    def ours(self, op, feeds, out_type=TensorProto.FLOAT, **attrs):
        return Bound(self.session(model(op, feeds, out_type, 17, "ort_roi", **attrs), True),
                     feeds, self.kind, ())

    def builtin(self, op, feeds, opset, out_type=TensorProto.FLOAT, host=(), **attrs):
        return Bound(self.session(model(op, feeds, out_type, opset, **attrs), False),
                     feeds, self.kind, host)

    def tensor(self, a):
        return torch.from_numpy(a).to(self.kind)


def proposals(rng, k, height, width):
    """k rois (0, x1, y1, x2, y2) in a height x width image, 8 px to half the image wide."""
    x1, y1 = rng.uniform(0, 0.9 * width, k), rng.uniform(0, 0.9 * height, k)
    w, h = rng.uniform(8, width / 2, k), rng.uniform(8, height / 2, k)
    return np.stack([np.zeros(k), x1, y1, np.minimum(x1 + w, width),
                     np.minimum(y1 + h, height)], 1).astype(np.float32)


# Each workload: (what it runs on, {runtime: timed call}, the ORT peer's name and a
# function building it, or None). small: the --smoke shapes.
def roi_align(dev, rng, small):
    c, h, w, k = (8, 20, 28, 12) if small else (256, 200, 272, 1000)  # FPN P2, 800x1088
    x, rois = rng.standard_normal((1, c, h, w), dtype=np.float32), proposals(rng, k, 4 * h, 4 * w)
    attrs = dict(output_height=7, output_width=7, spatial_scale=0.25, sampling_ratio=2)
    runs = {"ort_roi": dev.ours("RoIAlign", {"X": x, "rois": rois}, **attrs),
            "torchvision": TorchCall(dev.kind, torchvision.ops.roi_align, dev.tensor(x),
                                     dev.tensor(rois), 7, 0.25, 2, False)}
    peer = partial(
        dev.builtin, "RoiAlign",
        {"X": x, "boxes": rois[:, 1:].copy(), "idx": rois[:, 0].astype(np.int64)},
        16, mode="avg", coordinate_transformation_mode="output_half_pixel", **attrs)
    what = f"X {list(x.shape)}, {k} rois, 7x7, sampling_ratio 2"
    return what, runs, ("onnxruntime RoiAlign", peer)


def ps_roi_align(dev, rng, small):
    classes, h, w, k = (3, 8, 6, 10) if small else (21, 63, 38, 300)  # R-FCN, stride 16
    x = rng.standard_normal((1, classes * 49, h, w), dtype=np.float32)
    rois = proposals(rng, k, 16 * h, 16 * w)
    runs = {"ort_roi": dev.ours("PSRoIAlign", {"X": x, "rois": rois}, output_height=7,
                                output_width=7, spatial_scale=1 / 16, sampling_ratio=2),
            "torchvision": TorchCall(dev.kind, torchvision.ops.ps_roi_align, dev.tensor(x),
                                     dev.tensor(rois), 7, 1 / 16, 2)}
    return f"X {list(x.shape)}, {k} rois, 7x7, sampling_ratio 2", runs, None


def multi_scale(dev, rng, small):
    c, (ih, iw), k = (8, (64, 96), 12) if small else (256, (800, 1216), 1000)
    feats = [rng.standard_normal((1, c, ih // 2 ** (i + 2), iw // 2 ** (i + 2)), dtype=np.float32)
             for i in range(4)]  # strides 4 to 32, FPN's P2 to P5
    rois = proposals(rng, k, ih, iw)
    pooler = torchvision.ops.MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    tfeats = {str(i): dev.tensor(f) for i, f in enumerate(feats)}
    boxes = [dev.tensor(rois[:, 1:].copy())]
    pooler(tfeats, boxes, [(ih, iw)])  # infers the levels' scales, which our node is given
    feeds = {"rois": rois, **{f"X_{i}": f for i, f in enumerate(feats)}}
    runs = {"ort_roi": dev.ours("MultiScaleRoIAlign", feeds, output_height=7, output_width=7,
                                sampling_ratio=2, spatial_scales=pooler.scales),
            "torchvision": TorchCall(dev.kind, pooler, tfeats, boxes, [(ih, iw)])}
    return f"4 levels of a {ih}x{iw} image, {c} channels, {k} rois, 7x7", runs, None


def boxes_and_scores(rng, n):
    xy = rng.uniform(0, 800, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 200, (n, 2))], 1).astype(np.float32)
    return boxes, rng.uniform(0, 1, n).astype(np.float32)


def nms_limits(n, score_threshold):
    return {"m": np.array([n], np.int64), "t": np.array([0.5], np.float32),
            "st": np.array([score_threshold], np.float32)}


def nms(dev, rng, small):
    n = 50 if small else 20000
    boxes, scores = boxes_and_scores(rng, n)
    i64 = TensorProto.INT64
    runs = {"ort_roi": dev.ours("NMS", {"boxes": boxes, "scores": scores}, i64, iou_threshold=0.5),
            "torchvision": TorchCall(dev.kind, torchvision.ops.nms, dev.tensor(boxes),
                                     dev.tensor(scores), 0.5)}
    feeds = {"b": boxes[None], "s": scores[None, None], **nms_limits(n, -1.0)}
    peer = partial(dev.builtin, "NonMaxSuppression", feeds, 17, i64, host=("m", "t", "st"))
    return f"{n} boxes, IoU 0.5", runs, ("onnxruntime NonMaxSuppression", peer)


def batched_nms(dev, rng, small):
    n, classes = (50, 4) if small else (20000, 80)
    boxes, scores = boxes_and_scores(rng, n)
    idxs = rng.integers(0, classes, n).astype(np.int64)
    i64 = TensorProto.INT64
    runs = {"ort_roi": dev.ours("BatchedNMS", {"boxes": boxes, "scores": scores, "idxs": idxs},
                                i64, iou_threshold=0.5),
            "torchvision": TorchCall(dev.kind, torchvision.ops.batched_nms, dev.tensor(boxes),
                                     dev.tensor(scores), dev.tensor(idxs), 0.5)}
    # ORT's op wants a score per (class, box); a threshold just above 0 keeps each class's own.
    per_class = np.zeros((1, classes, n), np.float32)
    per_class[0, idxs, np.arange(n)] = scores
    feeds = {"b": boxes[None], "s": per_class, **nms_limits(n, 1e-12)}
    peer = partial(dev.builtin, "NonMaxSuppression", feeds, 17, i64, host=("m", "t", "st"))
    return f"{n} boxes, {classes} classes, IoU 0.5", runs, ("onnxruntime NonMaxSuppression", peer)


def deform_conv(dev, rng, small):
    c, hw = (4, 8) if small else (256, 64)
    x = rng.standard_normal((1, c, hw, hw), dtype=np.float32)
    w = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    offset = rng.standard_normal((1, 18, hw, hw), dtype=np.float32)
    mask = rng.uniform(0, 1, (1, 9, hw, hw)).astype(np.float32)  # modulated, as in DCNv2
    feeds = {"X": x, "W": w, "offset": offset, "B": b, "mask": mask}
    attrs = dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], dilations=[1, 1],
                 group=1, offset_group=1)
    t = {k: dev.tensor(a) for k, a in feeds.items()}
    runs = {"ort_roi": dev.ours("DeformConv2d", feeds, **attrs),
            "torchvision": TorchCall(dev.kind, torchvision.ops.deform_conv2d, t["X"], t["offset"],
                                     t["W"], t["B"], padding=1, mask=t["mask"])}
    peer = partial(dev.builtin, "DeformConv", feeds, 19, **attrs)
    what = f"X {list(x.shape)}, {c} filters 3x3, pad 1, with mask"
    return what, runs, ("onnxruntime DeformConv", peer)


class BoundModel:
    """A whole exported model on the device: its image bound there once, every
    output left there (IO binding), as Bound does for one node."""

    def __init__(self, sess, image, device):
        self.sess, self.binding = sess, sess.io_binding()
        self.image = ort.OrtValue.ortvalue_from_numpy(image, device, 0)
        self.binding.bind_ortvalue_input(sess.get_inputs()[0].name, self.image)
        for out in sess.get_outputs():
            self.binding.bind_output(out.name, device)

    def __call__(self):
        self.sess.run_with_iobinding(self.binding)
        self.binding.synchronize_outputs()

    def result(self) -> np.ndarray:
        return self.binding.copy_outputs_to_cpu()[0]  # boxes


class EagerDetector(TorchCall):
    def __call__(self):
        with torch.inference_mode():
            super().__call__()

    def result(self) -> np.ndarray:
        return self.out[0]["boxes"].cpu().numpy()


def mask_rcnn(dev, rng, small):
    """Mask R-CNN end to end: exported through ort_roi (our nodes on the device
    with ORT's built-in CUDA ops) against eager torchvision and against
    torchvision's standard export, both exports on the same execution provider.
    Random weights conditioned as the tests' (export/models.py), so that the
    detections are many and spread."""
    import io

    from ort_roi.export import export
    from ort_roi.export.models import build_detector, synthetic_image

    h, w = (96, 128) if small else (800, 1216)
    size = dict(min_size=min(h, w), max_size=max(h, w))
    net = build_detector("maskrcnn_resnet50_fpn", **size, **({"rpn_pre_nms_top_n_test": 50,
                         "rpn_post_nms_top_n_test": 20} if small else {}))
    image = synthetic_image(h, w, seed=7)
    names = dict(input_names=["image"], output_names=["boxes", "labels", "scores", "masks"])
    ours = export(net, ([image],), **names)
    buffer = io.BytesIO()
    torch.onnx.export(net, ([image],), buffer, opset_version=17, dynamo=False, **names)
    feed = image.numpy()
    runs = {"ort_roi": BoundModel(dev.session(ours.SerializeToString(), True, True), feed,
                                  dev.kind),
            "torchvision": EagerDetector(dev.kind, net.to(dev.kind), [image.to(dev.kind)])}

    def standard_export():
        return BoundModel(dev.session(buffer.getvalue(), False, True), feed, dev.kind)

    return (f"one {h}x{w} image, random weights", runs,
            ("torchvision's standard export", standard_export))


WORKLOADS = {"RoIAlign": roi_align, "PSRoIAlign": ps_roi_align, "MultiScaleRoIAlign": multi_scale,
             "NMS": nms, "BatchedNMS": batched_nms, "DeformConv2d": deform_conv,
             "MaskRCNN": mask_rcnn}


def agreement(ours: np.ndarray, theirs: np.ndarray) -> tuple[bool, str]:
    """Whether ort_roi computed what torchvision did: a benchmark of different work is void."""
    if ours.shape != theirs.shape:
        return False, f"shapes differ: {list(ours.shape)} vs {list(theirs.shape)}"
    if ours.dtype.kind == "i":
        same = bool(np.array_equal(ours, theirs))
        return same, "same indices" if same else "different indices"
    scale = max(float(np.abs(theirs).max(initial=0)), 1e-30)
    err = float(np.abs(ours - theirs).max(initial=0)) / scale
    return err <= 1e-4, f"max difference {err:.1e} of max |torchvision|"


def cuda_missing() -> list[str]:
    missing = []
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        missing.append(f"onnxruntime {ort.__version__} has no CUDAExecutionProvider "
                       "(install onnxruntime-gpu: make test-gpu puts it in .venv/ort-gpu)")
    if not torch.cuda.is_available():
        missing.append("torch sees no CUDA device")
    if "CUDAExecutionProvider" not in ort_roi.providers():
        missing.append("this build of ort_roi has no CUDA kernels (was nvcc found?)")
    return missing


def write_json(path, setup, cases, met, checks, skipped):
    """One row per (workload, runtime) timed, as in the table; skipped peers apart."""
    rows = [{"workload": case, "runtime": runtime, "median_ms": ms,
             "vs_ort_roi": ms / times["ort_roi"]}
            | ({"target": TARGETS[case][1], "target_met": met[case]}
               if case in TARGETS and runtime == TARGETS[case][0] else {})
            for case, times in cases.items() for runtime, ms in times.items()]
    with open(path, "w") as f:
        json.dump({**setup, "rows": rows, "skipped": skipped,
                   "matches_torchvision": {c: {"ok": ok, "detail": text}
                                           for c, (ok, text) in checks.items()}}, f, indent=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--smoke", action="store_true", help="tiny shapes on the CPU, few runs")
    p.add_argument("--repeat", type=int, help="timed runs per median (20; 2 with --smoke)")
    p.add_argument("--warmup", type=int, help="untimed runs first (5; 1 with --smoke)")
    p.add_argument("--threads", type=int, default=2, help="ORT intra-op and torch threads")
    p.add_argument("--json", metavar="FILE", help="write the results there")
    p.add_argument("--only", metavar="NAMES",
                   help="comma-separated workloads to run, of " + ", ".join(WORKLOADS))
    args = p.parse_args()
    chosen = list(WORKLOADS) if not args.only else [w.strip() for w in args.only.split(",")]
    if unknown := [w for w in chosen if w not in WORKLOADS]:
        p.error(f"no workload named {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    device = "cpu" if args.smoke else args.device
    repeat = args.repeat or (2 if args.smoke else 20)
    warmup = args.warmup if args.warmup is not None else (1 if args.smoke else 5)
    if device == "cuda" and (missing := cuda_missing()):
        sys.exit("cannot run on CUDA: " + "; ".join(missing) + " (--smoke runs on the CPU)")
    torch.set_num_threads(args.threads)
    name = (torch.cuda.get_device_name(0) if device == "cuda"
            else f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"device: {name}; onnxruntime {ort.__version__} ({ort.get_device()}), torch "
          f"{torch.__version__} (CUDA {torch.version.cuda}), torchvision {torchvision.__version__}")
    print(f"threads: ORT intra-op {args.threads}, torch {torch.get_num_threads()}; "
          f"median of {repeat} runs after {warmup + 1} warm-up runs", flush=True)

    dev, rng = Device(device, args.threads), np.random.default_rng(0)
    cases, checks, skipped = {}, {}, []
    for i, case in enumerate(chosen, 1):
        what, runs, peer = WORKLOADS[case](dev, rng, args.smoke)
        print(f"[{i}/{len(chosen)}] {case}: {what}", flush=True)
        if peer is not None:
            try:  # built and run once here, so that a failing peer is skipped, not fatal
                runs[peer[0]] = peer[1]()
                runs[peer[0]]()
            except Exception as e:  # noqa: BLE001 -- ORT's reason is the report
                reason = str(e).strip().splitlines()[0][:200]
                skipped.append({"workload": case, "runtime": peer[0], "reason": reason})
                print(f"    {peer[0]}: skipped, ORT cannot run it on {dev.ep}: {reason}",
                      flush=True)
        times = cases[case] = {}
        for runtime, call in runs.items():
            for _ in range(warmup):
                call()
            times[runtime] = median_ms(call, repeat)
            print(f"    {runtime}: {times[runtime]:.3f} ms", flush=True)
        checks[case] = agreement(runs["ort_roi"].result(), runs["torchvision"].result())
        print(f"    ort_roi vs torchvision output: {checks[case][1]}", flush=True)

    # A target is judged on a GPU only: the CPU and --smoke shapes say nothing about it.
    met = {case: cases[case][peer] / cases[case]["ort_roi"] >= target
           if device == "cuda" and peer in cases[case] else None
           for case, (peer, target) in TARGETS.items() if case in cases}
    notes = {(case, peer): f"target >= {target}x" + (
        " (on a GPU)" if met[case] is None else ": met" if met[case] else ": NOT met")
        for case, (peer, target) in TARGETS.items() if case in cases}
    print()
    print_ratios(cases, notes)
    for s in skipped:
        print(f"not timed: {s['runtime']} for {s['workload']}: {s['reason']}")
    for case, (ok, text) in checks.items():
        if not ok:
            print(f"WARNING: {case}: ort_roi's output is not torchvision's ({text})")
    if args.json:
        write_json(args.json, dict(device=device, device_name=name, smoke=args.smoke,
                                   onnxruntime=ort.__version__, torch=torch.__version__,
                                   torchvision=torchvision.__version__, threads=args.threads,
                                   repeat=repeat, warmup=warmup), cases, met, checks, skipped)

if __name__ == "__main__":
    main()
