"""Training tensors from a `grasp-perception dataset` directory: inputs, dense targets, per-instance targets.

A split is decoded once (PNG + RLE) into a tensor cache next to the data (`<split>.cache.pt`), so the
training loop only slices tensors. Targets follow the decoding contract of docs/models.md.

Input contract v1 (`input_size=None`): the dataset is written at the network input size; depth in metres.
Input contract v2 (`input_size=(W, H)`): the dataset is written at camera resolution (any sizes, any
aspect) and encoded by the runtime's own code (`grasp-perception encode`: letterbox, height above the
support plane); here only the annotations (boxes, masks, centres of mass) are mapped into the network
frame with each scene's transform. Run `encode` first (or let `ensure_encoded` run it).
"""

import json
import math
import os
import shutil
import subprocess

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
CACHE_VERSION_V2 = 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = [shutil.which("node") or "node", os.path.join(ROOT, "bin", "grasp-perception.js")]


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


def scene_targets(sample, height=None, width=None):
    """Dense stride-4 heatmaps and padded per-instance targets for one scene (annotations in network pixels)."""
    if height is None:
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


def ensure_encoded(root, width, height):
    """DIR/encoded/<W>x<H>/, written by the runtime's contract code (`grasp-perception encode`) if missing."""
    enc = os.path.join(root, "encoded", f"{width}x{height}")
    if not all(os.path.exists(os.path.join(enc, f"{s}.json")) for s in ("train", "val", "test")):
        subprocess.run(CLI + ["encode", "--data", root, "--input", f"{width}x{height}"], check=True,
                       stdout=subprocess.DEVNULL)
    return enc


def warp_mask(mask, t, height, width):
    """A camera-resolution binary mask in the network frame: area-resampled into the content, padded, >= 0.5."""
    m = torch.from_numpy(mask).float()[None, None]
    m = F.interpolate(m, size=(t["contentHeight"], t["contentWidth"]), mode="area")[0, 0]
    out = torch.zeros(height, width)
    out[t["padY"]:t["padY"] + t["contentHeight"], t["padX"]:t["padX"] + t["contentWidth"]] = m
    return (out >= 0.5).numpy().astype(np.uint8)


def network_annotations(sample, t, height, width):
    """The scene's annotations with boxes, masks and centres of mass in network pixels (the transform t)."""
    sx, sy, px, py = t["scaleX"], t["scaleY"], t["padX"], t["padY"]
    anns, vis, amo = [], [], []
    for ann, vmask, amask in zip(sample["annotations"], sample["visible_masks"], sample["amodal_masks"]):
        x, y, w, h = ann["bbox"]
        c = ann["center_of_mass"]["pixel"]
        anns.append({**ann, "bbox": [px + x * sx, py + y * sy, w * sx, h * sy], "area": ann["area"] * sx * sy,
                     "center_of_mass": {**ann["center_of_mass"], "pixel": {
                         "u": px + (c["u"] + 0.5) * sx - 0.5, "v": py + (c["v"] + 0.5) * sy - 0.5}}})
        vis.append(warp_mask(vmask, t, height, width))
        amo.append(warp_mask(amask, t, height, width))
    return {"annotations": anns, "visible_masks": vis, "amodal_masks": amo}


def load_split_v2(root, split, width, height, cache=True):
    """A split through input contract v2 at a width x height network input (cached in the encoded dir)."""
    enc = ensure_encoded(root, width, height)
    path = os.path.join(enc, f"{split}.cache.pt")
    if cache and os.path.exists(path):
        data = torch.load(path)
        if data.get("version") == CACHE_VERSION_V2:
            return data
    with open(os.path.join(enc, f"{split}.json")) as f:
        index = json.load(f)
    ds = GraspDataset(root, split)
    if len(ds) == 0:
        raise ValueError(f"{root}: split {split!r} has no scenes")
    n = width * height
    raw = np.fromfile(os.path.join(enc, f"{split}.bin"), dtype=np.uint8)
    if raw.size != index["bytes_per_scene"] * len(ds) or len(index["scenes"]) != len(ds):
        raise ValueError(f"{enc}/{split}.bin does not hold {len(ds)} scenes of {width}x{height}: run encode again")
    cols = {k: [] for k in ("rgb", "depth", "semantic", "suction", "center", "com", "boxes", "occluded", "valid", "vis", "amo")}
    aspects = set()
    for i in range(len(ds)):
        s = ds[i]
        rec = index["scenes"][i]
        if rec["image_id"] != s["image"]["id"]:
            raise ValueError(f"{enc}/{split}.json: scene {i} is image {rec['image_id']}, the dataset has {s['image']['id']}")
        aspects.add(round(rec["camera"][0] / rec["camera"][1], 3))
        b = raw[i * index["bytes_per_scene"]:(i + 1) * index["bytes_per_scene"]]
        rgb = b[:3 * n].reshape(height, width, 3)
        h16 = b[3 * n:5 * n].view("<i2").reshape(height, width).astype(np.float32)
        heights = np.where(h16 == index["invalid_height"], np.nan, h16 * index["height_unit_m"]).astype(np.float32)
        cols["rgb"].append(torch.from_numpy(rgb.copy()).permute(2, 0, 1))
        cols["depth"].append(torch.from_numpy(heights).half())
        cols["semantic"].append(torch.from_numpy(b[5 * n:6 * n].reshape(height, width).astype(np.int64)))
        suction = b[6 * n:8 * n].view("<u2").reshape(height, width).astype(np.float32) / 65535
        cols["suction"].append(torch.from_numpy(suction).half())
        net = network_annotations(s, rec["transform"], height, width)
        for k, v in zip(("center", "com", "boxes", "occluded", "valid", "vis", "amo"), scene_targets(net, height, width)):
            cols[k].append(torch.from_numpy(v))
    data = {k: torch.stack(v) for k, v in cols.items()}
    data["version"] = CACHE_VERSION_V2
    data["contract"] = index["contract"]  # as the runtime's encoder wrote it: the export copies it
    data["aspects"] = sorted(aspects)
    if cache:
        torch.save(data, path)
    return data


def depth_valid(depth, contract=1):
    """Valid depth-channel values: v1 metres > 0 (0 = invalid); v2 heights, any finite value (NaN = invalid)."""
    return torch.isfinite(depth) if contract == 2 else depth > 0


def normalisation(data, scenes=256):
    """Per-channel mean/std of RGB (0-255 scale) and of valid depth (metres) or height, from the first scenes."""
    rgb = data["rgb"][:scenes].float()
    depth = data["depth"][:scenes].float()
    valid = depth_valid(depth, 2 if "contract" in data else 1)
    mean = [float(rgb[:, c].mean()) for c in range(3)] + [float(depth[valid].mean())]
    std = [float(rgb[:, c].std()) for c in range(3)] + [float(depth[valid].std())]
    return mean, std


def make_input(rgb, depth, mean, std, with_depth=True, contract=1):
    """uint8 RGB (Bx3xHxW) + depth channel (BxHxW: v1 metres, 0 = invalid; v2 height above the support, NaN =
    invalid) -> normalised float input; invalid -> 0 (the mean). The runtime: src/perception/preprocess.ts."""
    dev = rgb.device
    x = (rgb.float() - torch.tensor(mean[:3], device=dev).view(1, 3, 1, 1)) / torch.tensor(std[:3], device=dev).view(1, 3, 1, 1)
    if not with_depth:
        return x
    d = depth.float()
    dn = torch.where(depth_valid(d, contract), (d - mean[3]) / std[3], torch.zeros_like(d))
    return torch.cat([x, dn[:, None]], 1)


def batch(data, idx, flip_h=None, flip_v=None):
    """Slice a batch and apply per-sample flips (flip-consistent targets: see scene_targets)."""
    b = {k: v[idx] for k, v in data.items() if k not in ("version", "contract", "aspects")}
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
