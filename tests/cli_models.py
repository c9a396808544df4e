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


class EveryOp(nn.Module):
    """One of each op that becomes an ort_roi node: roi_align, roi_pool,
    ps_roi_align, ps_roi_pool, a MultiScaleRoIAlign over two levels, nms,
    batched_nms and deform_conv2d (with a mask)."""

    def __init__(self):
        super().__init__()
        self.p2 = nn.Conv2d(3, 8, 3, stride=2, padding=1)  # 32x32, scale 1/2
        self.p3 = nn.Conv2d(8, 8, 3, stride=2, padding=1)  # 16x16, scale 1/4
        # Boxes of about 16 pixels pool from p2, of 32 and more from p3.
        self.pooler = torchvision.ops.MultiScaleRoIAlign(["p2", "p3"], 3, sampling_ratio=2,
                                                         canonical_scale=32, canonical_level=2)
        self.offset = nn.Conv2d(8, 18, 3, padding=1)
        self.mask = nn.Conv2d(8, 9, 3, padding=1)
        self.deform = torchvision.ops.DeformConv2d(8, 4, 3, padding=1)

    def forward(self, image, boxes, scores, labels):
        p2 = self.p2(image)
        p3 = self.p3(p2)
        ops = torchvision.ops
        return (self.pooler({"p2": p2, "p3": p3}, [boxes], [(64, 64)]),
                ops.roi_align(p2, [boxes], 3, spatial_scale=0.5, sampling_ratio=2, aligned=True),
                ops.roi_pool(p3, [boxes], 2, spatial_scale=0.25),
                ops.ps_roi_align(p2, [boxes], 2, spatial_scale=0.5, sampling_ratio=2),
                ops.ps_roi_pool(p2, [boxes], 2, spatial_scale=0.5),
                ops.nms(boxes, scores, 0.5),
                ops.batched_nms(boxes, scores, labels, 0.5),
                self.deform(p2, 2 * self.offset(p2), self.mask(p2).sigmoid()))

    @staticmethod
    def example_inputs():
        gen = torch.Generator().manual_seed(0)
        xy = torch.rand(12, 2, generator=gen) * 24
        boxes = torch.cat([xy, xy + 8 + torch.rand(12, 2, generator=gen) * 32], dim=1)
        return (torch.rand(1, 3, 64, 64, generator=gen), boxes, torch.rand(12, generator=gen),
                torch.randint(0, 3, (12,), generator=gen))
