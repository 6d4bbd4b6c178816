"""Building blocks shared by the perception and segmentation networks (design: docs/models.md).

Every block exports to ONNX as plain operators (Conv, MaxPool, Resize, Sigmoid, Mul, Add, Pad), so
onnxruntime-node runs them and the int8 pass can quantize every convolution.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_act(cin, cout, k=3, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def separable(cin, cout, stride=1):
    """Depthwise 3x3 then pointwise 1x1, each with BN + ReLU (the cheap spatial mixer)."""
    return nn.Sequential(conv_bn_act(cin, cin, 3, stride, groups=cin), conv_bn_act(cin, cout, 1))


class BlurPool(nn.Module):
    """Anti-aliased downsampling (Zhang 2019): fixed binomial low-pass per channel, then stride 2.

    Reflect padding [(k-1)//2, ceil((k-1)/2)]; exports as Pad(reflect) + depthwise Conv.
    """

    def __init__(self, channels, size=3):
        super().__init__()
        taps = {2: [1.0, 1.0], 3: [1.0, 2.0, 1.0], 4: [1.0, 3.0, 3.0, 1.0], 5: [1.0, 4.0, 6.0, 4.0, 1.0]}[size]
        a = torch.tensor(taps)
        k = a[:, None] * a[None, :]
        k = k / k.sum()
        self.register_buffer("kernel", k[None, None].repeat(channels, 1, 1, 1))
        lo, hi = (size - 1) // 2, (size - 1 + 1) // 2
        self.pad = (lo, hi, lo, hi)
        self.channels = channels

    def forward(self, x):
        return F.conv2d(F.pad(x, self.pad, mode="reflect"), self.kernel, stride=2, groups=self.channels)


class AttentionCondenser(nn.Module):
    """Condense (max-pool /2) -> embed (grouped 3x3 + 1x1, fewer channels) -> expand (x2, 1x1 back to C)
    -> V * sigmoid(A) * S + V, with the scale S learned and initialised to 1.
    """

    def __init__(self, channels, embed_channels, groups=None):
        super().__init__()
        groups = groups or max(1, embed_channels // 4)  # grouped embedding: the condenser stays cheap
        # ceil_mode: an odd size (e.g. 9 rows at stride 16 of a 144-row input) keeps its last row.
        self.condense = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.embed = nn.Sequential(
            nn.Conv2d(channels, embed_channels, 3, 1, 1, groups=groups), nn.ReLU(inplace=True),
            nn.Conv2d(embed_channels, embed_channels, 1), nn.ReLU(inplace=True))
        self.expand = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(embed_channels, channels, 1))
        self.scale = nn.Parameter(torch.ones(1, channels, 1, 1))

    def forward(self, v):
        a = self.expand(self.embed(self.condense(v)))
        if a.shape[-2:] != v.shape[-2:]:  # odd sizes only (static at export): even ones are unchanged
            a = a[..., : v.shape[-2], : v.shape[-1]]
        return v * torch.sigmoid(a) * self.scale + v


class CondenserBlock(nn.Module):
    """Separable conv (spatial mixing) -> attention condenser -> BN, with a residual skip."""

    def __init__(self, channels, embed_channels):
        super().__init__()
        self.mix = separable(channels, channels)
        self.attend = AttentionCondenser(channels, embed_channels)
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x):
        return x + self.norm(self.attend(self.mix(x)))


class AadsDown(nn.Module):
    """Anti-aliased downsampling stage: depthwise 3x3 (s1) + ReLU -> BlurPool (s2) -> pointwise 1x1.

    The rule "Conv(s2)+ReLU -> Conv(s1)+ReLU + Blur(s2)" applied to the depthwise conv; the channel
    mixing runs after the blur, at a quarter of the pixels.
    """

    def __init__(self, cin, cout):
        super().__init__()
        self.spatial = conv_bn_act(cin, cin, 3, 1, groups=cin)
        self.blur = BlurPool(cin)
        self.mix = conv_bn_act(cin, cout, 1)

    def forward(self, x):
        return self.mix(self.blur(self.spatial(x)))
