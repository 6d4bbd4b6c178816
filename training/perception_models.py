"""Multi-task grasp perception networks: one backbone (ours or a torchvision baseline) -> FPN -> heads.

Every model maps a 1x4xHxW RGB-D tensor to the same named outputs (the contract in docs/models.md):
  center_heatmap  1x1xH/4xW/4  amodal-box centre probability (CenterNet)
  box_ltrb        1x4xH/4xW/4  distances (input pixels) from the cell centre to the amodal box's sides
  occlusion       1x1xH/4xW/4  probability that the object centred at the cell is occluded
  visible_coeffs  1xKxH/4xW/4  per-instance mask coefficients (visible), tanh
  amodal_coeffs   1xKxH/4xW/4  per-instance mask coefficients (amodal), tanh
  visible_protos  1xKxH/2xW/2  prototype masks (visible)
  amodal_protos   1xKxH/2xW/2  prototype masks (amodal)
  com_heatmap     1x1xH/4xW/4  centre-of-mass probability (CenterNet)
  suction         1x1xHxW      suction seal score in [0, 1]
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from blocks import AadsDown, CondenserBlock, conv_bn_act, separable

OUTPUT_NAMES = ["center_heatmap", "box_ltrb", "occlusion", "visible_coeffs", "amodal_coeffs",
                "visible_protos", "amodal_protos", "com_heatmap", "suction"]
STRIDE = 4
PROTO_STRIDE = 2
NUM_PROTOS = 16
FPN_CHANNELS = 32
IN_CHANNELS = 4


class FastGraspNeXtBackbone(nn.Module):
    """Attention condensers + anti-aliased downsampling; taps at strides 4, 8, 16.

    The stem (/2, /4) keeps plain strided convs: anti-aliasing at high resolution costs more than it buys.
    """

    def __init__(self, widths=(24, 48, 96)):
        super().__init__()
        c2, c3, c4 = widths
        self.stem = nn.Sequential(conv_bn_act(IN_CHANNELS, 8, 3, 2), separable(8, c2, stride=2))       # /4
        self.stage2 = CondenserBlock(c2, c2 // 2)
        self.stage3 = nn.Sequential(AadsDown(c2, c3), CondenserBlock(c3, c3 // 2), CondenserBlock(c3, c3 // 2))  # /8
        self.stage4 = nn.Sequential(AadsDown(c3, c4), *(CondenserBlock(c4, c4 // 2) for _ in range(3)))  # /16
        self.channels = widths

    def forward(self, x):
        c2 = self.stage2(self.stem(x))
        c3 = self.stage3(c2)
        c4 = self.stage4(c3)
        return c2, c3, c4


def _first_conv_rgbd(conv):
    """The torchvision stem conv widened to 4 input channels (random init: no pretrained weights here)."""
    return nn.Conv2d(IN_CHANNELS, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=conv.bias is not None)


class ResNet50Backbone(nn.Module):
    """torchvision ResNet-50 through conv4_x (the R-50-C4 trunk): taps layer1/2/3 at strides 4/8/16."""

    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet50(weights=None)
        r.conv1 = _first_conv_rgbd(r.conv1)
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.layer1, self.layer2, self.layer3 = r.layer1, r.layer2, r.layer3
        self.channels = (256, 512, 1024)

    def forward(self, x):
        c2 = self.layer1(self.stem(x))
        c3 = self.layer2(c2)
        return c2, c3, self.layer3(c3)


class _TapBackbone(nn.Module):
    """A torchvision `features` sequence cut after its last stride-16 block, tapped at strides 4/8/16."""

    def __init__(self, features, taps, channels):
        super().__init__()
        first = features[0][0]
        features[0][0] = _first_conv_rgbd(first)
        self.features = features[: taps[-1] + 1]
        self.taps = taps
        self.channels = channels

    def forward(self, x):
        out = []
        for i, block in enumerate(self.features):
            x = block(x)
            if i in self.taps:
                out.append(x)
        return tuple(out)


def efficientnet_b0_backbone():
    return _TapBackbone(torchvision.models.efficientnet_b0(weights=None).features, (2, 3, 5), (24, 40, 112))


def mobilenet_v3_large_backbone():
    return _TapBackbone(torchvision.models.mobilenet_v3_large(weights=None).features, (3, 6, 12), (24, 40, 112))


BACKBONES = {
    "fast_graspnext": FastGraspNeXtBackbone,
    "resnet_graspnext": ResNet50Backbone,
    "efficientnet_graspnext": efficientnet_b0_backbone,
    "mobilenet_graspnext": mobilenet_v3_large_backbone,
}


class Fpn(nn.Module):
    """Top-down FPN over strides 4/8/16, merged to one stride-4 map (levels upsampled and summed)."""

    def __init__(self, in_channels, c=FPN_CHANNELS):
        super().__init__()
        self.lateral = nn.ModuleList(conv_bn_act(ci, c, 1, act=False) for ci in in_channels)
        self.smooth = nn.ModuleList(separable(c, c) for _ in in_channels)

    def forward(self, feats):
        p4 = self.lateral[2](feats[2])
        p3 = self.lateral[1](feats[1]) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        p2 = self.lateral[0](feats[0]) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
        p2, p3, p4 = self.smooth[0](p2), self.smooth[1](p3), self.smooth[2](p4)
        return p2 + F.interpolate(p3, scale_factor=2.0, mode="nearest") + F.interpolate(p4, scale_factor=4.0, mode="nearest")


class Heads(nn.Module):
    """Instance heads (centre, box, occlusion, mask coefficients), prototype masks, CoM and suction."""

    def __init__(self, c=FPN_CHANNELS, k=NUM_PROTOS):
        super().__init__()
        self.k = k
        self.instance_tower = separable(c, c)
        self.center = nn.Conv2d(c, 1, 1)
        self.box = nn.Conv2d(c, 4, 1)
        self.occlusion = nn.Conv2d(c, 1, 1)
        self.coeffs = nn.Conv2d(c, 2 * k, 1)
        # Prototypes are formed at stride 4 and refined by a depthwise 3x3 at stride 2: sharper masks
        # for small objects at a fraction of a full stride-2 tower's cost.
        self.proto = nn.Sequential(separable(c, c), nn.Conv2d(c, 2 * k, 1),
                                   nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=False),
                                   nn.ReLU(inplace=True), nn.Conv2d(2 * k, 2 * k, 3, 1, 1, groups=2 * k))
        self.dense_tower = separable(c, c)
        self.com = nn.Conv2d(c, 1, 1)
        self.suction = nn.Conv2d(c, 1, 1)
        # CenterNet's prior: heatmaps start near 0.01 so the focal loss does not explode at step 0.
        for head in (self.center, self.com):
            nn.init.constant_(head.bias, -4.6)

    def forward(self, p):
        t = self.instance_tower(p)
        coeffs = torch.tanh(self.coeffs(t))
        protos = self.proto(p)
        d = self.dense_tower(p)
        suction = torch.sigmoid(F.interpolate(self.suction(d), scale_factor=float(STRIDE), mode="bilinear", align_corners=False))
        return {
            "center_heatmap": torch.sigmoid(self.center(t)),
            "box_ltrb": F.softplus(self.box(t)) * STRIDE,
            "occlusion": torch.sigmoid(self.occlusion(t)),
            "visible_coeffs": coeffs[:, : self.k],
            "amodal_coeffs": coeffs[:, self.k:],
            "visible_protos": protos[:, : self.k],
            "amodal_protos": protos[:, self.k:],
            "com_heatmap": torch.sigmoid(self.com(d)),
            "suction": suction,
        }


class GraspNet(nn.Module):
    """Backbone -> FPN -> heads. `forward` returns the output tuple in OUTPUT_NAMES order (ONNX export)."""

    def __init__(self, arch):
        super().__init__()
        if arch not in BACKBONES:
            raise ValueError(f"unknown perception architecture {arch!r}; one of {sorted(BACKBONES)}")
        self.arch = arch
        self.backbone = BACKBONES[arch]()
        self.fpn = Fpn(self.backbone.channels)
        self.heads = Heads()

    def forward_dict(self, x):
        return self.heads(self.fpn(self.backbone(x)))

    def forward(self, x):
        out = self.forward_dict(x)
        return tuple(out[n] for n in OUTPUT_NAMES)
