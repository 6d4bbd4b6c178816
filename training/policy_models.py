"""Push-and-grasp Q networks (VPG lineage; design in docs/policy.md when issue 6 lands).

Both variants take a batch of R heightmaps already rotated by the R angles the runtime wants to test
(the TypeScript side rotates: one implementation of the geometry) and return per-pixel Q maps for push
and suction grasp at the input resolution:

    input    Rx4xSxS   RGB (normalised) + height above the floor (normalised), zero-padded to S
    push_q   Rx1xSxS
    grasp_q  Rx1xSxS

- policy_full: VPG's size: two FCNs (push, grasp), each with DenseNet-121 trunks on colour and on depth
  (4 trunks), head BN-ReLU-1x1(64)-BN-ReLU-1x1(1), bilinear x32 back to S. Input 224 padded to 320
  (the diagonal), 16 rotations.
- policy_reduced: Ferraro's reduction: one small shared trunk for both heads at a lower resolution,
  fewer rotations; the heads share every layer but their last.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUTPUT_NAMES = ["push_q", "grasp_q"]


class _VpgBranch(nn.Module):
    """One of VPG's two FCNs: colour and depth DenseNet-121 trunks, concatenated, a 1x1 head."""

    def __init__(self):
        super().__init__()
        self.color = torchvision.models.densenet121(weights=None).features
        self.depth = torchvision.models.densenet121(weights=None).features
        self.head = nn.Sequential(nn.BatchNorm2d(2048), nn.ReLU(inplace=True), nn.Conv2d(2048, 64, 1, bias=False),
                                  nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.Conv2d(64, 1, 1, bias=False))

    def forward(self, rgb, ddd):
        f = torch.cat([self.color(rgb), self.depth(ddd)], 1)
        return F.interpolate(self.head(f), scale_factor=32.0, mode="bilinear", align_corners=False)


class PolicyFull(nn.Module):
    def __init__(self):
        super().__init__()
        self.push = _VpgBranch()
        self.grasp = _VpgBranch()

    def forward(self, x):
        rgb, ddd = x[:, :3], x[:, 3:4].expand(-1, 3, -1, -1)
        return self.push(rgb, ddd), self.grasp(rgb, ddd)


def _block(cin, cout, stride=1, dilation=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PolicyReduced(nn.Module):
    """Shared trunk (stride 4, dilated context) -> two 1x1 heads -> bilinear x4."""

    def __init__(self, width=32, extra_channels=0):
        super().__init__()
        w = width
        self.trunk = nn.Sequential(_block(4 + extra_channels, w // 2, 2), _block(w // 2, w), _block(w, w, 2),
                                   _block(w, 2 * w), _block(2 * w, 2 * w, dilation=2), _block(2 * w, 2 * w, dilation=4))
        self.heads = nn.Conv2d(2 * w, 2, 1)

    def forward(self, x):
        q = F.interpolate(self.heads(self.trunk(x)), scale_factor=4.0, mode="bilinear", align_corners=False)
        return q[:, :1], q[:, 1:]


POLICIES = {
    # name: (builder, padded input size S, rotations R)
    "policy_full": (PolicyFull, 320, 16),
    "policy_reduced": (PolicyReduced, 96, 8),
}


def build_policy(name):
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; one of {sorted(POLICIES)}")
    builder, size, rotations = POLICIES[name]
    return builder(), size, rotations
