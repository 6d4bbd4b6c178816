"""Semantic segmenters: an AttendSeg-style net built from attention condensers, and torchvision's LRASPP.

Both map a 1x3xHxW RGB tensor to `logits` 1xCxHxW (C = the simulator's semantic classes).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from blocks import AadsDown, CondenserBlock, conv_bn_act, separable

OUTPUT_NAMES = ["logits"]
IN_CHANNELS = 3


class AttendSeg(nn.Module):
    """Encoder (condenser blocks, anti-aliased downsampling to /16) -> light decoder with /4 and /8 skips."""

    def __init__(self, num_classes, widths=(24, 40, 64)):
        super().__init__()
        c2, c3, c4 = widths
        self.stem = conv_bn_act(IN_CHANNELS, 16, 3, 2)
        self.enc2 = nn.Sequential(AadsDown(16, c2), CondenserBlock(c2, c2 // 2))
        self.enc3 = nn.Sequential(AadsDown(c2, c3), CondenserBlock(c3, c3 // 2))
        self.enc4 = nn.Sequential(AadsDown(c3, c4), CondenserBlock(c4, c4 // 2), CondenserBlock(c4, c4 // 2))
        self.dec3 = nn.Sequential(conv_bn_act(c4 + c3, c3, 1), CondenserBlock(c3, c3 // 2))
        self.dec2 = nn.Sequential(conv_bn_act(c3 + c2, c2, 1), separable(c2, c2))
        self.classifier = nn.Conv2d(c2, num_classes, 1)

    def forward(self, x):
        c2 = self.enc2(self.stem(x))
        c3 = self.enc3(c2)
        c4 = self.enc4(c3)
        d3 = self.dec3(torch.cat([F.interpolate(c4, scale_factor=2.0, mode="nearest"), c3], 1))
        d2 = self.dec2(torch.cat([F.interpolate(d3, scale_factor=2.0, mode="nearest"), c2], 1))
        return F.interpolate(self.classifier(d2), scale_factor=4.0, mode="bilinear", align_corners=False)


class Lraspp(nn.Module):
    """torchvision's LR-ASPP on MobileNetV3-Large (random init), returning the logits tensor only."""

    def __init__(self, num_classes):
        super().__init__()
        self.net = torchvision.models.segmentation.lraspp_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=num_classes)

    def forward(self, x):
        return self.net(x)["out"]


SEGMENTERS = {"attendseg": AttendSeg, "lraspp": Lraspp}


def build_segmenter(arch, num_classes):
    if arch not in SEGMENTERS:
        raise ValueError(f"unknown segmentation architecture {arch!r}; one of {sorted(SEGMENTERS)}")
    return SEGMENTERS[arch](num_classes)
