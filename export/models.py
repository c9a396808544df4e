"""torchvision's detectors, built for export: eval mode, small or real weights.

    model = build_detector("maskrcnn_resnet50_fpn", min_size=256, max_size=384)

With no weights the model is random, and random detection heads score every
class near 1/num_classes, under the box score threshold: such a model detects
nothing. For the two-stage (R-CNN) detectors `build_detector` then re-draws
the box classifier so that a few proposals score well above the threshold
with clear gaps between them; see `spread_scores`. The one-stage detectors
have no proposals and no box classifier to re-draw: `build_detector` keeps
their random weights, calibrates their batch norms (`spread_scores`'s first
step: activations neither vanish nor blow up, so scores are not all equal)
and, for RetinaNet and FCOS, lowers the score threshold (see
`random_weight_options`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Union

import torch
from torch import nn
from torchvision.models import get_model, get_weight

TWO_STAGE = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "maskrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn_v2",
    "keypointrcnn_resnet50_fpn",
)
ONE_STAGE = (
    "retinanet_resnet50_fpn",
    "retinanet_resnet50_fpn_v2",
    "fcos_resnet50_fpn",
    "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
)
DETECTORS = TWO_STAGE + ONE_STAGE
# These resize every image to one fixed size (300x300, 320x320) and take no
# min_size or max_size.
FIXED_SIZE = ("ssd300_vgg16", "ssdlite320_mobilenet_v3_large")


def random_weight_options(name: str) -> dict[str, Any]:
    """Builder options without which a detector with random weights finds nothing.

    RetinaNet's and FCOS's classification heads start at torchvision's prior
    probability of 0.01 for every class (so that training starts stable); a
    random model scores about that, under the default thresholds (0.05, 0.2).
    With no threshold, their top candidates per level go on to NMS as in a
    trained model.
    """
    return {"score_thresh": 0.0} if name.startswith(("retinanet", "fcos")) else {}


def build_detector(name: str, *, weights: Union[str, os.PathLike, None] = None,
                   min_size: int = 800, max_size: int = 1333, seed: int = 0,
                   **options: Any) -> nn.Module:
    """One of DETECTORS, in eval mode.

    weights: None for random weights (drawn from `seed`, then conditioned as
    the module docstring says); a torchvision weights name ("DEFAULT",
    "MaskRCNN_ResNet50_FPN_Weights.COCO_V1"), which torchvision downloads; or
    the path of a state dict saved with torch.save(model.state_dict()).
    min_size and max_size are the transform's resize bounds (ignored by the
    FIXED_SIZE ones); other options go to torchvision's builder.
    """
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")
    if name not in FIXED_SIZE:
        options.update(min_size=min_size, max_size=max_size)
    if weights is None:
        options = random_weight_options(name) | options
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = get_model(name, weights=None, weights_backbone=None, **options)
            if name in TWO_STAGE:
                spread_scores(model, seed)
            else:
                _calibrate_norms(model, calibration_images(model, seed), set())
    elif os.path.exists(weights):
        model = get_model(name, weights=None, weights_backbone=None, **options)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    else:
        model = get_model(name, weights=_weights(name, str(weights)), **options)
    return model.eval()


def _weights(name: str, weights: str):
    if weights == "DEFAULT" or "." not in weights:
        from torchvision.models import get_model_weights
        return get_model_weights(name)[weights]
    return get_weight(weights)


# How many (proposal, class) pairs of a calibration image score above the box
# score threshold once the classifier is drawn: a few dozen, so that after NMS
# an image has a handful of detections, well short of detections_per_img.
CANDIDATES = 40
IMAGES = 2  # calibrated on so many synthetic images


@torch.no_grad()
def spread_scores(model: nn.Module, seed: int = 0) -> None:
    """Give a randomly drawn detector the statistics of a trained one.

    Drawn at random, activations grow or vanish with depth (ResNet-50's FPN
    features reach tens, MobileNet's fall to 1e-8), so the heads score every
    anchor and proposal alike: near-equal objectness (proposals then depend on
    how near-ties break) or identical, saturated class scores. From forward
    passes on a few fixed synthetic images:
    - every batch norm takes their scale, as if trained on them;
    - each head is rescaled to a set spread around zero: objectness and class
      logits over several units (clear gaps between the scores that survive
      the thresholds), box deltas small (boxes of all sizes, not all clipped);
    - the background logit is raised until a few dozen (proposal, class)
      pairs pass the score threshold.
    """
    image = calibration_images(model, seed)
    calibrated = set()
    with _idle_heads(model.roi_heads, calibrated):
        _calibrate_norms(model, image, calibrated)
    rpn, predictor = model.rpn.head, model.roi_heads.box_predictor
    # Asked again: a head's batch norms calibrated by the pass above idle it now.
    with _idle_heads(model.roi_heads, calibrated):
        # Proposals depend on the RPN's scale, the box head's input on the proposals.
        _rescale(model, image, {rpn.cls_logits: 3.0, rpn.bbox_pred: 0.3}, last=rpn)
        logits = _rescale(model, image, {predictor.cls_score: 3.0, predictor.bbox_pred: 1.0},
                          last=predictor)
    predictor.cls_score.bias[0] += _background_shift(
        logits[predictor.cls_score].view(-1, predictor.cls_score.out_features),
        model.roi_heads.score_thresh, CANDIDATES * len(image))
    _calibrate_norms(model, image, calibrated)  # the heads that run on detections


@contextmanager
def _idle_heads(roi_heads: nn.Module, calibrated: set):
    """The mask and keypoint branches switched off while they hold no batch
    norm left to calibrate: nothing else reads their output before the last
    pass, and until the box classifier is drawn they run on a hundred
    detections an image (Keypoint R-CNN's eight 512-channel convolutions
    took 40 of the 52 seconds its calibration took on two cores). The
    weights come out the same."""
    idle = {}
    for branch in ("mask", "keypoint"):
        head = getattr(roi_heads, f"{branch}_head", None)
        if head is not None and all(m in calibrated for m in head.modules()
                                    if isinstance(m, nn.modules.batchnorm._BatchNorm)):
            idle[f"{branch}_predictor"] = getattr(roi_heads, f"{branch}_predictor")
            setattr(roi_heads, f"{branch}_predictor", None)  # what RoIHeads.has_mask() reads
    try:
        yield
    finally:
        for name, predictor in idle.items():
            setattr(roi_heads, name, predictor)


def calibration_images(model: nn.Module, seed: int) -> list[torch.Tensor]:
    """IMAGES synthetic images of the model's input size, in both orientations."""
    size = model.transform.min_size[0]
    shapes = [(size, size * 4 // 3), (size * 3 // 2, size), (size * 2 // 3, size)]
    return [synthetic_image(*shapes[i % len(shapes)], seed=seed * 1000 + i)
            for i in range(IMAGES)]


def synthetic_image(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """A [3, height, width] image in [0, 1]: a smooth background and a few boxes.

    Something like a photograph's statistics (smooth regions, edges), which a
    random backbone treats very differently from pixel noise.
    """
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, max(height // 32, 2), max(width // 32, 2), generator=generator)
    image = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear",
                                            align_corners=False)[0]
    for _ in range(6):
        y0, x0 = (torch.rand(2, generator=generator) * torch.tensor([height, width])).int()
        h, w = (torch.rand(2, generator=generator) * torch.tensor([height, width]) / 2).int() + 4
        image[:, y0:y0 + h, x0:x0 + w] = torch.rand(3, 1, 1, generator=generator)
    return image


class _Enough(Exception):
    """Raised by a forward hook: the pass has computed all that it reads."""


# False: every pass runs the whole model, as before the passes ended early
# (tests/test_random_weights.py: the same weights bit for bit either way).
END_PASSES_EARLY = True


def _forward_until(model: nn.Module, images: list, last: nn.Module | None = None) -> None:
    """model(images), cut short by _Enough, or once `last` has run. What
    follows would change nothing (a Faster R-CNN's box head on a thousand
    proposals an image, in a pass that reads only the backbone's norms)."""
    def stop(*_):
        raise _Enough

    hook = last.register_forward_hook(stop) if last is not None and END_PASSES_EARLY else None
    try:
        model.eval()(images)
    except _Enough:
        pass
    finally:
        if hook is not None:
            hook.remove()


def _calibrate_norms(model: nn.Module, images: list, done: set) -> None:
    """Set each batch norm not in `done` to divide by its input's root mean square.

    One scale per layer, not per channel, and no mean subtracted: a channel
    nearly constant over the image would otherwise be divided by its tiny
    spread, which magnifies rounding (one runtime's convolution against
    another's) into differences that change detections. A norm that sees no
    input in this pass (the mask head of a model that detects nothing yet)
    is left for a later one.
    """
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm) and m not in done]
    if not norms and END_PASSES_EARLY:
        return  # a pass would change nothing
    left = set(norms)  # the pass ends once none is

    def calibrate(norm, inputs):
        if norm not in done and inputs[0].numel() > 0:  # the first call sets it
            done.add(norm)
            norm.running_mean.zero_()
            norm.running_var.fill_(inputs[0].double().square().mean().item())
            left.discard(norm)
            if not left and END_PASSES_EARLY:
                raise _Enough

    # In order of the forward pass, so each sees its inputs already calibrated.
    hooks = [norm.register_forward_pre_hook(calibrate) for norm in norms]
    try:
        _forward_until(model, images)
    finally:
        for hook in hooks:
            hook.remove()


def _rescale(model: nn.Module, image: list, targets: dict, last: nn.Module | None = None) -> dict:
    """Each target layer scaled to the spread given, from a pass that ends
    after `last` (where given: the module after which no target runs)."""
    outputs = {layer: [] for layer in targets}
    hooks = [layer.register_forward_hook(lambda m, i, o: outputs[m].append(o))
             for layer in targets]
    try:
        _forward_until(model, image, last)
    finally:
        for hook in hooks:
            hook.remove()
    scaled = {}
    for layer, std in targets.items():
        values = torch.cat([o.flatten() for o in outputs[layer]]).double()
        gain = std / values.std().item()
        layer.weight.mul_(gain)
        layer.bias.sub_(values.mean().item()).mul_(gain)
        scaled[layer] = (values - values.mean()) * gain
    return scaled


def _background_shift(logits: torch.Tensor, threshold: float, wanted: int) -> float:
    """How far to raise the background logit for `wanted` pairs to pass."""
    low, high = 0.0, 50.0
    for _ in range(60):  # bisection: the count falls as the shift grows
        shift = (low + high) / 2
        shifted = logits.clone()
        shifted[:, 0] += shift
        passing = (shifted.softmax(dim=1)[:, 1:] > threshold).sum().item()
        low, high = (shift, high) if passing > wanted else (low, shift)
    return high
