"""A detector with raw random weights, its three ONNX exports and their runs,
each computed once and kept while the tests of that detector run.

The exports: ours through each of torch's exporters (ort_roi.export.export),
and torchvision's standard one (torch.onnx.export, opset 17, TorchScript, no
ort_roi; run in plain ONNX Runtime). All take one image of any size.
"""

from __future__ import annotations

import io
from contextlib import ExitStack
from typing import NamedTuple

import numpy as np
import onnx
import torch
from torchvision.models import get_model

import ort_roi.export
from eager_rules import RULES
from export_support import SIZE, TWO_STAGE_SIZE
from graph_probe import (feeding, match_by_value, module_outputs, nodes_of_type, session,
                         with_outputs)
from ort_roi.export.models import FIXED_SIZE, TWO_STAGE, random_weight_options, synthetic_image

KINDS = ("torchscript", "dynamo", "torchvision")  # ours twice, then torchvision's own
IMAGES = {
    # The setting of issue 8: uniform noise, 300x400.
    "noise": lambda: torch.rand(3, 300, 400, generator=torch.Generator().manual_seed(0)),
    "synthetic": lambda: synthetic_image(240, 320, seed=101),
    "portrait": lambda: synthetic_image(300, 200, seed=103),
}
EXAMPLE = "noise"  # what every export traces with
OUTPUTS = {"fasterrcnn": ["boxes", "labels", "scores"],
           "maskrcnn": ["boxes", "labels", "scores", "masks"],
           "keypointrcnn": ["boxes", "labels", "scores", "keypoints", "keypoints_scores"]}
ONE_STAGE_OUTPUTS = ["boxes", "scores", "labels"]  # the order of their result dicts


def build(name: str) -> torch.nn.Module:
    """As the user of issue 8 built it: 11 classes, 20 detections an image,
    random weights drawn under a fixed seed and used as drawn (at SIZE's
    smaller sizes and proposal counts)."""
    per_image = "box_detections_per_img" if name in TWO_STAGE else "detections_per_img"
    options = {"num_classes": 11, per_image: 20, **random_weight_options(name)}
    if name not in FIXED_SIZE:
        options.update(TWO_STAGE_SIZE if name in TWO_STAGE else SIZE)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return get_model(name, weights=None, weights_backbone=None, **options).eval()


class Fed(NamedTuple):
    """A run with some values fed from eager (Detector.run_fed)."""
    outputs: list[np.ndarray]
    # Per fed value: (largest |ONNX Runtime's - eager's|, largest |eager's|).
    differences: list[tuple[float, float]]
    # Softmax: largest |the node's output - torch.softmax of its own input|.
    own: float = 0.0


class Detector:
    def __init__(self, name: str):
        self.name = name
        self.model = build(name)
        self.outputs = OUTPUTS.get(name.split("_")[0], ONE_STAGE_OUTPUTS)
        self._kept: dict = {}

    def _once(self, key, compute):
        if key not in self._kept:
            self._kept[key] = compute()
        return self._kept[key]

    def image(self, image: str) -> torch.Tensor:
        return self._once(("image", image), IMAGES[image])

    def export(self, kind: str) -> onnx.ModelProto:
        return self._once(("export", kind), lambda: self._export(kind))

    def _export(self, kind: str) -> onnx.ModelProto:
        args = ([self.image(EXAMPLE)],)
        names = dict(input_names=["image0"], output_names=self.outputs)
        if kind == "dynamo":
            dims = {1: torch.export.Dim("height", min=32, max=2048),
                    2: torch.export.Dim("width", min=32, max=2048)}
            return ort_roi.export.export(self.model, args, dynamo=True,
                                         dynamic_shapes=([dims],), **names)
        axes = {"image0": [1, 2]} | {o: [0, 2, 3] if o == "masks" else [0] for o in self.outputs}
        if kind == "torchscript":
            return ort_roi.export.export(self.model, args, dynamic_axes=axes, **names)
        buffer = io.BytesIO()
        torch.onnx.export(self.model, args, buffer, opset_version=17, dynamo=False,
                          dynamic_axes=axes, **names)
        return onnx.load_from_string(buffer.getvalue())

    def eager(self, image: str, rules: tuple[str, ...] = ()) -> list[np.ndarray]:
        """Eager outputs, with the named RULES (eager_rules.py) in force."""
        def compute():
            with ExitStack() as stack, torch.no_grad():
                for rule in rules:
                    stack.enter_context(RULES[rule]())
                result = self.model([self.image(image)])[0]
            return [result[o].numpy() for o in self.outputs]
        return self._once(("eager", image, tuple(sorted(rules))), compute)

    def run(self, kind: str, image: str) -> list[np.ndarray]:
        sess = self._once(("session", kind), lambda: session(self.export(kind)))
        return self._once(("run", kind, image),
                          lambda: sess.run(None, self.feed(image)))

    def run_fed(self, kind: str, image: str, node: str) -> Fed:
        """The export run with the output of `node` ("Conv": the backbone's
        feature maps, and the mask logits; "Softmax": the box head's class
        probabilities) fed from eager instead of computed by ONNX Runtime."""
        return self._once(("fed", kind, image, node), lambda: _FEEDS[node](self, kind, image))

    def _feed_convolutions(self, kind: str, image: str) -> Fed:
        """The backbone's feature maps, and Mask R-CNN's mask logits too: its
        mask head is five more convolutions, whose rounding alone moved a
        mask probability 2e-3 on an AVX2 machine with the maps fed. The mask
        logits are compared with eager's in the graph fed eager's maps, so
        that their difference is the mask head's own."""
        proto = self.export(kind)
        maps = module_outputs(proto, "backbone")
        computed = dict(zip(maps, self._probe(kind, "Conv", maps, image)))
        fed = match_by_value(computed, self._eager_output(self.model.backbone, image,
                                                          lambda out: list(out.values())))
        mask_predictor = getattr(self.model.roi_heads, "mask_predictor", None)
        if mask_predictor is not None:
            logits = module_outputs(proto, "roi_heads.mask_predictor")
            probing = self._once(("probing fed", kind), lambda: session(
                with_outputs(feeding(proto, fed), logits)))
            computed |= dict(zip(logits, probing.run(logits, self.feed(image) | fed)))
            fed |= match_by_value({v: computed[v] for v in logits},
                                  [self._eager_output(mask_predictor, image, lambda out: out)])
        return self._run_with(kind, "Conv", image, fed, computed)

    def _feed_softmax(self, kind: str, image: str) -> Fed:
        proto = self.export(kind)
        (node,) = nodes_of_type(proto, "Softmax")  # the box head's, the only one
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        logits, probabilities = self._probe(kind, "Softmax", [node.input[0], node.output[0]],
                                            image)
        own = torch.softmax(torch.from_numpy(logits), axis).numpy()
        # As roi_heads' postprocess_detections: softmax over eager's class logits.
        eager_logits = self._eager_output(self.model.roi_heads.box_predictor, image,
                                          lambda out: out[0])
        fed = {node.output[0]: torch.softmax(torch.from_numpy(eager_logits), -1).numpy()}
        result = self._run_with(kind, "Softmax", image, fed, {node.output[0]: probabilities})
        return result._replace(own=float(np.abs(probabilities - own).max()))

    # The probing and the fed graph of a (kind, node) are the same for every
    # image: one session each.
    def _probe(self, kind: str, node: str, values: list[str], image: str) -> list[np.ndarray]:
        probing = self._once(("probing", kind, node),
                             lambda: session(with_outputs(self.export(kind), values)))
        return probing.run(values, self.feed(image))

    def _run_with(self, kind: str, node: str, image: str, fed: dict, computed: dict) -> Fed:
        fed_graph = self._once(("fed graph", kind, node),
                               lambda: session(feeding(self.export(kind), fed)))
        outputs = fed_graph.run(None, self.feed(image) | fed)
        return Fed(outputs, [(float(np.abs(computed[v] - e).max()), float(np.abs(e).max()))
                             for v, e in fed.items()])

    def feed(self, image: str) -> dict[str, np.ndarray]:
        return {"image0": self.image(image).numpy()}

    def _eager_output(self, module: torch.nn.Module, image: str, pick):
        """pick(module's output) in an eager run, as NumPy."""
        found = []
        hook = module.register_forward_hook(lambda m, args, out: found.append(pick(out)))
        try:
            with torch.no_grad():
                self.model([self.image(image)])
        finally:
            hook.remove()
        picked = found[0]
        return [t.numpy() for t in picked] if isinstance(picked, list) else picked.numpy()


_FEEDS = {"Conv": Detector._feed_convolutions, "Softmax": Detector._feed_softmax}
