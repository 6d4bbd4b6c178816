"""Push-and-grasp Q networks (VPG lineage; design: docs/policy.md).

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


# The heightmap each variant sees: the bin's 0.448 m floor less 7 mm at each wall (so wall tops never
# look like objects), at VPG's 2 mm (216 cells) or at 7 mm (62 cells); padded to S >= the diagonal.
# Normalisation: colours 0-1, heights in metres above the floor.
FULL_GRID = {"x": [-0.217, 0.217], "y": [-0.217, 0.217], "z": [0.0, 0.3], "resolution": 0.002}
REDUCED_GRID = {"x": [-0.217, 0.217], "y": [-0.217, 0.217], "z": [0.0, 0.3], "resolution": 0.007}
CHANNEL_STATS = {"red": (0.45, 0.25), "green": (0.45, 0.25), "blue": (0.45, 0.25), "height": (0.02, 0.03),
                 "suction": (0.2, 0.3)}
BASE_CHANNELS = ["red", "green", "blue", "height"]
PUSH_LENGTH = 0.1        # VPG's push, metres
OBJECT_HEIGHT = 0.01     # a cell this high holds an object (grasp target, push obstacle)

POLICIES = {
    # name: (builder, padded input size S, rotations R, heightmap grid)
    "policy_full": (PolicyFull, 320, 16, FULL_GRID),
    "policy_reduced": (PolicyReduced, 96, 8, REDUCED_GRID),
}


def policy_spec(name, channels=None, method=None):
    """What the sim server, the exporter and the runtime agree on (the manifest's input and policy).
    method: the heightmap method ('point_max' or 'footprint'; None: the grid's default, point_max)."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}; one of {sorted(POLICIES)}")
    _, size, rotations, grid = POLICIES[name]
    if method:
        grid = {**grid, "method": method}
    channels = list(channels or BASE_CHANNELS)
    return {"size": size, "rotations": rotations, "channels": channels,
            "mean": [CHANNEL_STATS[c][0] for c in channels], "std": [CHANNEL_STATS[c][1] for c in channels],
            "push_length": PUSH_LENGTH, "object_height": OBJECT_HEIGHT, "grid": grid}


def build_policy(name, channels=None, method=None):
    spec = policy_spec(name, channels, method)
    builder = POLICIES[name][0]
    extra = len(spec["channels"]) - 4
    if extra and builder is not PolicyReduced:
        raise ValueError(f"{name} takes only {BASE_CHANNELS}")
    net = builder(extra_channels=extra) if extra else builder()
    return net, spec
