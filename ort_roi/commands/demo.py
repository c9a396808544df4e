"""ort-roi demo: Mask R-CNN through ort_roi in ORT, against PyTorch eager and
against torchvision's standard ONNX export run in plain ORT."""

from __future__ import annotations

import io
import warnings
from collections import Counter

import onnx
import torch

from . import models
from .detections import describe, pair_near_ties
from .export import export_model
from .parity import Progress, compare, feeds, our_nodes, session, shape_text, table, timed

MODEL = "maskrcnn_resnet50_fpn"
# What torchvision's own export builds from ONNX's ops where ours are single nodes.
STANDARD_OPS = ("RoiAlign", "NonMaxSuppression", "NonZero", "ScatterElements", "ScatterND",
                "Where", "Loop", "If")


def run(args) -> int:
    with warnings.catch_warnings():
        # The exporters' tracer warnings name torchvision's lines, not problems.
        warnings.simplefilter("ignore")
        return _demo(args)


def _demo(args) -> int:
    h, w = args.image_size
    progress = Progress()
    print(f"ort-roi demo: {MODEL}, {'weights ' + args.weights if args.weights else 'random weights'},"
          f" one {h}x{w} image, {torch.get_num_threads()} threads, median of {args.repeat} runs",
          flush=True)

    progress.step(f"building {MODEL}")
    model = models.load_model(MODEL, weights=args.weights, image_size=(h, w), seed=args.seed)
    (images,) = models.example_inputs(model, (h, w), seed=args.seed)
    progress.done()

    progress.step("running PyTorch eager")
    with torch.no_grad():
        model(images)  # warm-up
        outputs, eager_ms = timed(lambda: model(images), args.repeat)
    names = models.leaf_names(outputs)
    expected = [t.numpy() for _, t in models.flatten(outputs)]
    progress.done(f"{len(expected[0])} detections, {eager_ms:.0f} ms")

    progress.step(f"exporting through ort_roi ({args.exporter} exporter)")
    ours_proto = export_model(model, (images,), None, exporter=args.exporter)
    ours = Counter(n.op_type for n in our_nodes(ours_proto))
    progress.done(", ".join(f"{op} x{n}" for op, n in sorted(ours.items())))

    progress.step("running it in ONNX Runtime with ort_roi")
    ours_result = _run_onnx(ours_proto, images, plugin=True, repeat=args.repeat)
    progress.done(f"{ours_result[1]:.0f} ms")

    progress.step("exporting with torchvision's standard path (torch.onnx.export, "
                  f"dynamo=False, opset {args.standard_opset})")
    standard_result, standard_ops = None, Counter()
    try:
        standard_proto = _standard_export(model, images, names, args.standard_opset)
        standard_ops = Counter(n.op_type for n in standard_proto.graph.node
                               if n.op_type in STANDARD_OPS)
        progress.done(", ".join(f"{op} x{n}" for op, n in sorted(standard_ops.items())))
        progress.step("running it in plain ONNX Runtime")
        standard_result = _run_onnx(standard_proto, images, plugin=False, repeat=args.repeat)
        progress.done(f"{standard_result[1]:.0f} ms")
    except Exception as e:  # noqa: BLE001  (the comparison is optional; ours is not)
        progress.done(f"failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")

    ours_cmp, ours_moved = _compare_all(names, ours_result[0], expected, args)
    standard_cmp, standard_moved = [None] * len(names), []
    if standard_result:
        standard_cmp, standard_moved = _compare_all(names, standard_result[0], expected, args)
    print()
    print(f"Parity with PyTorch eager (tolerance {args.atol:g} + {args.rtol:g} * |torch|; "
          "labels exact; max rel error relative to max(|torch|, atol)):")
    rows = [[name, shape_text(e.shape), *_cells(o), *_cells(s)]
            for name, e, o, s in zip(names, expected, ours_cmp, standard_cmp)]
    print(table(rows, ["output", "pytorch shape", "ort_roi max abs", "max rel", "",
                       "torchvision export max abs", "max rel", ""]))
    counts = [f"PyTorch {len(expected[0])}", f"ort_roi {len(ours_result[0][0])}"]
    if standard_result:
        counts.append(f"torchvision export {len(standard_result[0][0])}")
    print("detections: " + ", ".join(counts))
    for who, moved in (("ort_roi", ours_moved), ("torchvision export", standard_moved)):
        for line in describe(moved):
            print(f"{who}: {line}")
    print()
    rows = [["PyTorch eager", f"{eager_ms:.0f}", "1.00x", ""],
            ["ort_roi in ONNX Runtime", f"{ours_result[1]:.0f}", f"{eager_ms / ours_result[1]:.2f}x",
             ", ".join(f"{op} x{n}" for op, n in sorted(ours.items()))]]
    if standard_result:
        rows.append(["torchvision's ONNX export in ONNX Runtime", f"{standard_result[1]:.0f}",
                     f"{eager_ms / standard_result[1]:.2f}x",
                     ", ".join(f"{op} x{n}" for op, n in sorted(standard_ops.items()))])
    else:
        rows.append(["torchvision's ONNX export in ONNX Runtime", "failed", "", ""])
    print(f"Latency ({h}x{w} image, median of {args.repeat}):")
    print(table(rows, ["runtime", "ms", "speed vs eager", "detection ops in the graph"]))
    failed = [c.name for c in ours_cmp if not c.ok]
    print()
    print(f"ort_roi: MISMATCH in {', '.join(failed)}" if failed else
          "ort_roi matches PyTorch eager on every output")
    print(f"total {progress.elapsed():.0f}s", flush=True)
    return 1 if failed else 0


def _compare_all(names, actual, expected, args):
    """Output by output, after pairing detections that near-tied scores reordered."""
    actual, moved = pair_near_ties(names, actual, expected, args.rtol, args.atol)
    return [compare(n, a, e, args.rtol, args.atol)
            for n, a, e in zip(names, actual, expected)], moved


def _cells(c) -> list[str]:
    if c is None:
        return ["-", "-", ""]
    if c.shape != c.expected_shape:
        return [f"shape {shape_text(c.shape)}", "-", "MISMATCH"]
    return [c.error, "-" if c.exact else f"{c.max_rel:.3g}", "ok" if c.ok else "MISMATCH"]


def _run_onnx(proto: onnx.ModelProto, images: list, *, plugin: bool, repeat: int):
    sess = session(proto.SerializeToString(), plugin=plugin)
    inputs = feeds(sess, {i.name: image.numpy() for i, image in zip(proto.graph.input, images)})
    sess.run(None, inputs)  # warm-up
    return timed(lambda: sess.run(None, inputs), repeat)


def _standard_export(model, images, names, opset: int) -> onnx.ModelProto:
    buffer = io.BytesIO()
    torch.onnx.export(model, (images,), buffer, dynamo=False, opset_version=opset,
                      input_names=["image"], output_names=names)
    return onnx.load_from_string(buffer.getvalue())

