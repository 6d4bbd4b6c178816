"""Training tensors from a `grasp-perception dataset` directory: inputs, dense targets, per-instance targets.

A split is decoded once (PNG + RLE) into a tensor cache next to the data (`<split>.cache.pt`), so the
training loop only slices tensors. Targets follow the decoding contract of docs/models.md.
"""

import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from grasp_dataset import GraspDataset

STRIDE = 4
PROTO_STRIDE = 2
MAX_INSTANCES = 16
# An object with fewer visible pixels than this is not expected to be found (and is ignored by the
# evaluation as well: src/eval/perception.ts uses the manifest's copy of this number).
MIN_VISIBLE_PIXELS = 4
CACHE_VERSION = 2


def gaussian_radius(h, w, min_overlap=0.7):
    """CenterNet's radius: the largest centre shift that keeps IoU >= min_overlap (cells)."""
    a1, b1, c1 = 1, h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2, c2 = 4, 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return max(0.0, min(r1, r2, r3))


def splat(heatmap, cx, cy, radius):
    """Max-splat a Gaussian (sigma = diameter / 6) centred on cell (cx, cy)."""
    h, w = heatmap.shape
    r = max(1, int(radius))
    sigma = (2 * r + 1) / 6
    ys, xs = np.ogrid[-r:r + 1, -r:r + 1]
    g = np.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    x0, x1 = max(0, cx - r), min(w, cx + r + 1)
    y0, y1 = max(0, cy - r), min(h, cy + r + 1)
    if x0 >= x1 or y0 >= y1:
        return
    patch = g[y0 - cy + r:y1 - cy + r, x0 - cx + r:x1 - cx + r]
    np.maximum(heatmap[y0:y1, x0:x1], patch, out=heatmap[y0:y1, x0:x1])


def downsample_mask(mask, factor):
    """Area-average a binary mask by `factor` and threshold at 0.5."""
    h, w = mask.shape
    m = mask[: h - h % factor, : w - w % factor].reshape(h // factor, factor, w // factor, factor)
    return (m.mean(axis=(1, 3)) >= 0.5).astype(np.uint8)


def scene_targets(sample):
    """Dense stride-4 heatmaps and padded per-instance targets for one scene."""
    height, width = sample["rgb"].shape[:2]
    gh, gw = height // STRIDE, width // STRIDE
    center = np.zeros((gh, gw), np.float32)
    com = np.zeros((gh, gw), np.float32)
    boxes = np.zeros((MAX_INSTANCES, 4), np.float32)
    occluded = np.zeros(MAX_INSTANCES, np.float32)
    valid = np.zeros(MAX_INSTANCES, np.bool_)
    ph, pw = height // PROTO_STRIDE, width // PROTO_STRIDE
    vis = np.zeros((MAX_INSTANCES, ph, pw), np.uint8)
    amo = np.zeros((MAX_INSTANCES, ph, pw), np.uint8)
    n = 0
    for ann, vmask, amask in zip(sample["annotations"], sample["visible_masks"], sample["amodal_masks"]):
        if ann["area"] < MIN_VISIBLE_PIXELS or n >= MAX_INSTANCES:
            continue
        x, y, w, h = ann["bbox"]
        cx, cy = (x + w / 2) / STRIDE, (y + h / 2) / STRIDE
        ix, iy = min(gw - 1, max(0, int(cx))), min(gh - 1, max(0, int(cy)))
        splat(center, ix, iy, gaussian_radius(h / STRIDE, w / STRIDE))
        px = ann["center_of_mass"]["pixel"]
        if 0 <= px["u"] < width and 0 <= px["v"] < height:
            splat(com, int(px["u"] / STRIDE), int(px["v"] / STRIDE), gaussian_radius(h / STRIDE, w / STRIDE))
        boxes[n] = (x, y, x + w, y + h)
        occluded[n] = float(ann["occluded"])
        vis[n] = downsample_mask(vmask, PROTO_STRIDE)
        amo[n] = downsample_mask(amask, PROTO_STRIDE)
        valid[n] = True
        n += 1
    return center, com, boxes, occluded, valid, vis, amo


def load_split(root, split, cache=True):
    """All scenes of a split as stacked tensors (cached in DIR/<split>.cache.pt)."""
    path = os.path.join(root, f"{split}.cache.pt")
    if cache and os.path.exists(path):
        data = torch.load(path)
        if data.get("version") == CACHE_VERSION:
            return data
    ds = GraspDataset(root, split)
    if len(ds) == 0:
        raise ValueError(f"{root}: split {split!r} has no scenes")
    cols = {k: [] for k in ("rgb", "depth", "semantic", "suction", "center", "com", "boxes", "occluded", "valid", "vis", "amo")}
    for i in range(len(ds)):
        s = ds[i]
        cols["rgb"].append(torch.from_numpy(np.array(s["rgb"])).permute(2, 0, 1))
        cols["depth"].append(torch.from_numpy(np.nan_to_num(s["depth"], nan=0.0)).half())
        cols["semantic"].append(torch.from_numpy(s["semantic"].astype(np.int64)))
        cols["suction"].append(torch.from_numpy(s["suction"]).half())
        for k, v in zip(("center", "com", "boxes", "occluded", "valid", "vis", "amo"), scene_targets(s)):
            cols[k].append(torch.from_numpy(v))
    data = {k: torch.stack(v) for k, v in cols.items()}
    data["version"] = CACHE_VERSION
    if cache:
        torch.save(data, path)
    return data


def normalisation(data, scenes=256):
    """Per-channel mean/std of RGB (0-255 scale) and of valid depth (metres), from the first scenes."""
    rgb = data["rgb"][:scenes].float()
    depth = data["depth"][:scenes].float()
    valid = depth > 0
    mean = [float(rgb[:, c].mean()) for c in range(3)] + [float(depth[valid].mean())]
    std = [float(rgb[:, c].std()) for c in range(3)] + [float(depth[valid].std())]
    return mean, std


def make_input(rgb, depth, mean, std, with_depth=True):
    """uint8 RGB (Bx3xHxW) + metres (BxHxW, 0 = invalid) -> normalised float input; invalid depth -> 0 (the mean)."""
    dev = rgb.device
    x = (rgb.float() - torch.tensor(mean[:3], device=dev).view(1, 3, 1, 1)) / torch.tensor(std[:3], device=dev).view(1, 3, 1, 1)
    if not with_depth:
        return x
    d = depth.float()
    dn = torch.where(d > 0, (d - mean[3]) / std[3], torch.zeros_like(d))
    return torch.cat([x, dn[:, None]], 1)


def batch(data, idx, flip_h=None, flip_v=None):
    """Slice a batch and apply per-sample flips (flip-consistent targets: see scene_targets)."""
    b = {k: v[idx] for k, v in data.items() if k != "version"}
    if flip_h is None:
        return b
    _, _, height, width = b["rgb"].shape
    for dim_img, flip, size in ((-1, flip_h, width), (-2, flip_v, height)):
        if not flip.any():
            continue
        f = flip
        for k in ("rgb", "depth", "semantic", "suction", "center", "com", "vis", "amo"):
            v = b[k]
            b[k] = torch.where(f.view(-1, *([1] * (v.dim() - 1))), v.flip(dim_img), v)
        boxes = b["boxes"].clone()
        lo, hi = (0, 2) if dim_img == -1 else (1, 3)
        flipped_lo, flipped_hi = size - b["boxes"][..., hi], size - b["boxes"][..., lo]
        boxes[..., lo] = torch.where(f[:, None], flipped_lo, boxes[..., lo])
        boxes[..., hi] = torch.where(f[:, None], flipped_hi, boxes[..., hi])
        b["boxes"] = boxes
    return b


def peak_cells(boxes, grid_h, grid_w):
    """The stride-4 cell holding each box centre (same rule as scene_targets), as (y, x) long tensors."""
    cx = ((boxes[..., 0] + boxes[..., 2]) / 2 / STRIDE).floor().clamp(0, grid_w - 1).long()
    cy = ((boxes[..., 1] + boxes[..., 3]) / 2 / STRIDE).floor().clamp(0, grid_h - 1).long()
    return cy, cx


def resize_like(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
