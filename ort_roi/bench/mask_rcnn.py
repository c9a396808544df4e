"""Mask R-CNN end to end: ort_roi's export in ONNX Runtime against PyTorch eager and
against torchvision's standard export in ONNX Runtime and in OpenVINO.

torchvision's maskrcnn_resnet50_fpn with random weights (weights=None,
weights_backbone=None; the box classifier re-drawn so that an image has a
few detections, see ort_roi.export.models), resize bounds equal to the image,
so that every runtime sees the same pixels, on a synthetic image. The profile figure says what share
of ORT's run our nodes take: the rest is ORT's own convolutions.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import warnings

from ..commands import models
from ..commands.detections import describe, pair_near_ties
from ..commands.export import export_model
from ..commands.parity import compare, our_nodes
from ..export.models import synthetic_image
from .case import Case, Check, Peer, Spec
from .runtimes import Run, Unavailable, first_line
from .standard_export import op_counts, standard_export

MODEL = "maskrcnn_resnet50_fpn"
TOLERANCE = 1e-3  # rtol and atol, as ort-roi demo's: outputs after a whole ResNet-50
STANDARD_OPS = ("RoiAlign", "NonMaxSuppression", "Loop", "If")


def _check(names: list[str]):
    def check(actual: list, expected: list) -> Check:
        actual, moved = pair_near_ties(names, actual, expected, TOLERANCE, TOLERANCE)
        results = [compare(n, a, e, TOLERANCE, TOLERANCE) for n, a, e in zip(names, actual, expected)]
        worst = max((c.max_abs for c in results if not c.exact), default=0.0)
        off = [f"{c.name} {c.error}" for c in results if not c.ok]
        paired = ("; " + "; ".join(describe(moved))) if moved else ""
        count = len(expected[0])
        detections = f"{count} detection{'' if count == 1 else 's'}"
        if off:
            return Check(False, f"{detections}; off: {', '.join(off)}{paired}", worst)
        return Check(True, f"{detections}, max abs diff {worst:.1e} (tolerance "
                           f"{TOLERANCE:g} + {TOLERANCE:g} * |torch|){paired}", worst)
    return check


def profile_share(rt, model: bytes, feeds: dict, node_names: set[str], runs: int = 2):
    """(share of ORT's run in ort_roi's nodes, their ms, the run's ms) from ORT's profiler,
    over `runs` runs after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="ort_roi_profile_") as folder:
        sess = rt.session(model, ours=True, profile_prefix=os.path.join(folder, "run"))
        for _ in range(runs + 1):
            sess.run(None, feeds)
        path = sess.end_profiling()
        with open(path) as f:
            events = json.load(f)
        for leftover in glob.glob(os.path.join(folder, "*")):
            os.remove(leftover)
    model_runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    if len(model_runs) < 2:
        raise RuntimeError("ORT's profile holds no model_run events")
    warm_end = model_runs[0]["ts"] + model_runs[0]["dur"]
    total = sum(e["dur"] for e in model_runs[1:])
    ours = sum(e["dur"] for e in events
               if e.get("cat") == "Node" and e["ts"] >= warm_end
               and e["name"].endswith("_kernel_time")
               and e["name"][: -len("_kernel_time")] in node_names)
    n = len(model_runs) - 1
    return ours / total, ours / n / 1e3, total / n / 1e3


def _eager(model, images):
    import torch

    with torch.no_grad():
        return model(images)


def build(rt, quick) -> Case:
    import torch

    h, w = (320, 416) if quick else (800, 1216)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = models.load_model(MODEL, image_size=(h, w), seed=0)
        # Not pixel noise: an image of the kind the random heads were calibrated on
        # gives a handful of detections with clear score gaps, so that ORT's and
        # torch's rounding cannot reorder them and the comparison means something.
        images = [synthetic_image(h, w, seed=0)]
        with torch.no_grad():
            names = models.leaf_names(model(images))
        ours_proto = export_model(model, (images,), None, exporter="torchscript")
    ours_bytes = ours_proto.SerializeToString()
    feeds = {"image": images[0].numpy()}
    ours_nodes = {n.name for n in our_nodes(ours_proto)}
    counts = op_counts(ours_bytes, tuple(sorted({n.op_type for n in our_nodes(ours_proto)})))
    exported = {}

    def export() -> bytes:
        if "model" not in exported:
            try:
                exported["model"] = standard_export(model, (images,), ["image"], names)
            except Exception as e:  # noqa: BLE001
                raise Unavailable("export fails", first_line(e)) from e
            exported["ops"] = op_counts(exported["model"], STANDARD_OPS)
        return exported["model"]

    def after():
        share, ours_ms, run_ms = profile_share(rt, ours_bytes, feeds, ours_nodes)
        return ({"ort_roi_share": share, "ort_roi_nodes_ms": ours_ms, "profiled_run_ms": run_ms,
                 "ort_roi_nodes": counts, "standard_export_ops": exported.get("ops", "")},
                f"ort_roi's nodes ({counts}) take {100 * share:.1f}% of the run in ORT's "
                f"profile ({ours_ms:.1f} of {run_ms:.0f} ms)")

    return Case(
        shape=f"one {h}x{w} image, random weights",
        ours=rt.ort_run(ours_bytes, feeds, ours=True),
        reference=Run(lambda: _eager(model, images),
                      lambda out: [t.numpy() for _, t in models.flatten(out)]),
        reference_label="PyTorch eager",
        check=_check(names),
        peers=[Peer("onnxruntime", "standard export", lambda: rt.ort_run(export(), feeds, ours=False)),
               Peer("openvino", "standard export", lambda: rt.openvino_onnx(export(), feeds))],
        after=after)


SPECS = [Spec("mask_rcnn", "Mask R-CNN end to end", build, slow=True)]
