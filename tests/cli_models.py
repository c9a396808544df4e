"""Small models for the ort-roi command-line tests, named as `cli_models:attr`."""

from __future__ import annotations

import torch
import torchvision
from torch import nn


class TinyRoi(nn.Module):
    """A conv, roi_align over the given boxes, and nms over their scores."""

    def __init__(self, bias: float = 0.0):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        with torch.no_grad():
            self.conv.bias.add_(bias)

    def forward(self, image, boxes, scores):
        pooled = torchvision.ops.roi_align(self.conv(image), [boxes], 3, spatial_scale=0.5,
                                           sampling_ratio=2, aligned=True)
        keep = torchvision.ops.nms(boxes, scores, 0.5)
        return pooled, keep

    @staticmethod
    def example_inputs():
        gen = torch.Generator().manual_seed(0)
        xy = torch.rand(8, 2, generator=gen) * 40
        boxes = torch.cat([xy, xy + 4 + torch.rand(8, 2, generator=gen) * 20], dim=1)
        return torch.rand(1, 3, 64, 64, generator=gen), boxes, torch.rand(8, generator=gen)


def shifted():
    """TinyRoi with other numbers: what an ONNX file of TinyRoi must not match."""
    return TinyRoi(bias=0.5)


class Plain(nn.Module):
    """No example_inputs: called with one random [1, 3, H, W] batch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3)

    def forward(self, x):
        boxes = torch.tensor([[0.0, 1.0, 1.0, 9.0, 7.0]])
        return torchvision.ops.roi_pool(self.conv(x), boxes, 2)


# An instance, not a factory: its weights must be the same in every process.
with torch.random.fork_rng():
    torch.manual_seed(0)
    plain = Plain()
