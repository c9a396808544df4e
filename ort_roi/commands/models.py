"""MODEL specs: a torchvision model name or `module:attr`, and example inputs for it."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import os
from typing import Any, Optional, Sequence

import torch
from torch import nn
from torch.utils import _pytree as pytree
from torchvision import models as tv_models
from torchvision.models.detection.generalized_rcnn import GeneralizedRCNN


def load_model(spec: str, *, weights: Optional[str] = None,
               image_size: Optional[Sequence[int]] = None, seed: int = 0) -> nn.Module:
    """The nn.Module a spec names, in eval mode.

    `module:attr` is an nn.Module or a callable returning one (called with no
    arguments); anything else is a torchvision model name. Weights: random
    (drawn from `seed`) unless `weights` names a state dict file or one of
    torchvision's weights ("DEFAULT", "MaskRCNN_ResNet50_FPN_Weights.COCO_V1").
    """
    if ":" in spec:
        model = _from_attribute(spec, seed)
        if weights is not None:
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    else:
        model = _torchvision_model(spec, weights, image_size, seed)
    return model.eval()


def _from_attribute(spec: str, seed: int) -> nn.Module:
    module_name, _, attr = spec.partition(":")
    # As `python -m` does: a module in the current directory is found.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target = importlib.import_module(module_name)
    except ImportError as e:
        raise SystemExit(f"ort-roi: cannot import {module_name!r} for {spec!r}: {e}") from e
    for part in attr.split("."):
        if not hasattr(target, part):
            raise SystemExit(f"ort-roi: {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    if not isinstance(target, nn.Module):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            target = target()
    if not isinstance(target, nn.Module):
        raise SystemExit(f"ort-roi: {spec!r} gave a {type(target).__name__}, not an nn.Module")
    return target


def _torchvision_model(name: str, weights: Optional[str], image_size, seed: int) -> nn.Module:
    if name not in tv_models.list_models():
        raise SystemExit(f"ort-roi: {name!r} is neither a torchvision model name nor "
                         "module:attr (see torchvision.models.list_models())")
    build_detector, detectors = _detector_builder()
    if name in detectors:
        # Bounds that leave an image of this size as it is: the transform's
        # resize is then the identity and eager and ONNX see the same pixels
        # (SSD's resize to its fixed size is not, but the same in both).
        size = dict(min_size=min(image_size), max_size=max(image_size)) if image_size else {}
        return build_detector(name, weights=weights, seed=seed, **size)
    options: dict[str, Any] = {}
    if name in tv_models.list_models(module=tv_models.detection) and image_size:
        options.update(min_size=min(image_size), max_size=max(image_size))
    if weights is None:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return tv_models.get_model(name, weights=None, weights_backbone=None, **options)
    if os.path.exists(weights):
        model = tv_models.get_model(name, weights=None, weights_backbone=None, **options)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return model
    if weights == "DEFAULT" or "." not in weights:
        named = tv_models.get_model_weights(name)[weights]
    else:
        named = tv_models.get_weight(weights)
    return tv_models.get_model(name, weights=named, **options)


def _detector_builder():
    """ort_roi.export.models' build_detector and the detectors it builds, where
    it exists (random weights conditioned to score like a trained model's).
    Without it, plain torchvision models."""
    try:
        from ort_roi.export.models import DETECTORS, build_detector
    except ImportError:
        return None, ()
    return build_detector, DETECTORS


def is_detector(model: nn.Module) -> bool:
    """Whether forward takes a list of [3, H, W] images (torchvision's detectors)."""
    return isinstance(model, GeneralizedRCNN) or hasattr(model, "transform") and \
        type(model.transform).__name__ == "GeneralizedRCNNTransform"


def example_inputs(model: nn.Module, image_size: Sequence[int], batch: int = 1,
                   seed: int = 0) -> tuple:
    """Arguments to call the model with.

    The model's own `example_inputs` (an attribute, or a method taking no
    arguments) first; else, for a detector, a list of `batch` random images
    [3, H, W]; else one random batch [batch, 3, H, W].
    """
    own = getattr(model, "example_inputs", None)
    if own is not None:
        own = own() if callable(own) else own
        return tuple(own) if isinstance(own, (tuple, list)) else (own,)
    gen = torch.Generator().manual_seed(seed)
    h, w = image_size
    if is_detector(model):
        return ([torch.rand(3, h, w, generator=gen) for _ in range(batch)],)
    return (torch.rand(batch, 3, h, w, generator=gen),)


def flatten(tree: Any) -> list[tuple[str, torch.Tensor]]:
    """(path, tensor) leaves in the order the ONNX exporters flatten them."""
    leaves, _ = pytree.tree_flatten_with_path(tree)
    return [(pytree.keystr(path).lstrip(".") or "output", leaf) for path, leaf in leaves
            if isinstance(leaf, torch.Tensor)]


def leaf_names(tree: Any) -> list[str]:
    """ONNX-friendly names of the leaves: "boxes" for [{'boxes': ...}], "1.boxes"
    for the second image's in a batch."""
    paths = [path for path, _ in flatten(tree)]
    if isinstance(tree, (list, tuple)) and len(tree) == 1:
        paths = [p[len("[0]"):] for p in paths]
    names = [re.sub(r"[\[\]']+", ".", p).strip(".") for p in paths]
    names = ["output" if len(names) == 1 and n.isdigit() else n for n in names]
    names = [f"output{n}" if n[:1].isdigit() or not n else n for n in names]
    return names if len(set(names)) == len(names) else [f"output{i}" for i in range(len(names))]


def input_names(model: nn.Module, args: tuple) -> list[str]:
    """forward's parameter names for flat tensor arguments ("image", "image1", ...
    for a detector's list of images); input0, input1, ... otherwise."""
    leaves = [leaf for leaf in pytree.tree_leaves(args) if isinstance(leaf, torch.Tensor)]
    if is_detector(model):
        return ["image"] if len(leaves) == 1 else [f"image{i}" for i in range(len(leaves))]
    params = [p for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) == len(args) == len(leaves):
        return [p.name for p in params]
    return [f"input{i}" for i in range(len(leaves))]


def unflatten(arrays: list, like: tuple) -> tuple:
    """Put ONNX inputs (in order) into the structure of the example `like`."""
    leaves, spec = pytree.tree_flatten(like)
    if len(leaves) != len(arrays):
        raise SystemExit(f"ort-roi: the ONNX model has {len(arrays)} inputs, the PyTorch "
                         f"model's example takes {len(leaves)} tensors")
    return pytree.tree_unflatten([torch.from_numpy(a) for a in arrays], spec)
