"""Measurements behind input contract v2's network input size (docs/models.md#input-contract).

    /usr/bin/python3 training/input_size.py --data DIR [--sizes 128x96 192x144 256x192] [--scenes 20]

DIR: a dataset written at camera resolution (e.g. `grasp-perception dataset --width 640 --height 480`).
Prints one JSON line per size:
  mask_ceiling_iou  mean IoU of the ground-truth visible masks after a round trip through the prototype grid
                    (area-resampled into the letterboxed input, 2x2 mean at the prototype stride, then bilinear
                    back to camera pixels and >= 0.5): the best a mask head at that input can do, per object
  seen_share        objects with >= min_visible_pixels (4) visible network pixels: what can be detected at all
  macs              fast_graspnext multiply-accumulates per frame
  forward_ms        fast_graspnext torch forward, batch 1, 1 thread (median of 20; relative, not onnxruntime)
  train_step_s      fast_graspnext forward + backward, batch 8, 2 threads (median of 5): training cost per step
"""

import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from complexity import count_macs
from grasp_dataset import GraspDataset
from losses import perception_loss
from perception_models import PROTO_STRIDE, GraspNet
from training_data import MIN_VISIBLE_PIXELS


def letterbox(cw, ch, w, h):
    s = min(w / cw, h / ch)
    contentw, contenth = min(w, round(cw * s)), min(h, round(ch * s))
    return contentw, contenth, (w - contentw) // 2, (h - contenth) // 2


def mask_ceiling(ds, w, h, scenes):
    ious, seen, total = [], 0, 0
    for i in range(min(scenes, len(ds))):
        s = ds[i]
        ch, cw = s["rgb"].shape[:2]
        contentw, contenth, px, py = letterbox(cw, ch, w, h)
        for ann, m in zip(s["annotations"], s["visible_masks"]):
            if ann["area"] == 0:
                continue
            total += 1
            t = torch.from_numpy(m).float()[None, None]
            net = torch.zeros(1, 1, h, w)
            net[..., py:py + contenth, px:px + contentw] = F.interpolate(t, size=(contenth, contentw), mode="area")
            if float(net.sum()) >= MIN_VISIBLE_PIXELS:
                seen += 1
            proto = (F.avg_pool2d((net >= 0.5).float(), PROTO_STRIDE) - 0.5)  # a logit-like signed map
            up = F.interpolate(proto, size=(h, w), mode="bilinear", align_corners=False)
            back = F.interpolate(up[..., py:py + contenth, px:px + contentw], size=(ch, cw), mode="bilinear",
                                 align_corners=False)[0, 0] >= 0
            gt = torch.from_numpy(m).bool()
            inter = float((back & gt).sum())
            union = float((back | gt).sum())
            ious.append(inter / union if union else 0.0)
    return float(np.mean(ious)), seen / max(1, total)


def timing(w, h):
    torch.manual_seed(0)
    model = GraspNet("fast_graspnext").eval()
    x = torch.randn(1, 4, h, w)
    torch.set_num_threads(1)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        fwd = []
        for _ in range(20):
            t0 = time.perf_counter()
            model(x)
            fwd.append(1000 * (time.perf_counter() - t0))
    torch.set_num_threads(2)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gh, gw = h // 4, w // 4
    b = {"center": torch.zeros(8, gh, gw), "com": torch.zeros(8, gh, gw), "suction": torch.zeros(8, h, w),
         "boxes": torch.tensor([[10.0, 10.0, 40.0, 40.0]]).repeat(8, 16, 1), "occluded": torch.zeros(8, 16),
         "valid": torch.zeros(8, 16, dtype=torch.bool), "vis": torch.zeros(8, 16, h // 2, w // 2, dtype=torch.uint8),
         "amo": torch.zeros(8, 16, h // 2, w // 2, dtype=torch.uint8)}
    b["valid"][:, 0] = True
    steps = []
    xb = torch.randn(8, 4, h, w)
    for i in range(6):
        t0 = time.perf_counter()
        loss, _ = perception_loss(model.forward_dict(xb), b)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:
            steps.append(time.perf_counter() - t0)
    return count_macs(model, (1, 4, h, w)), statistics.median(fwd), statistics.median(steps)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="train")
    p.add_argument("--sizes", nargs="*", default=["128x96", "192x144", "256x192"])
    p.add_argument("--scenes", type=int, default=20)
    args = p.parse_args(argv)
    ds = GraspDataset(args.data, args.split)
    for size in args.sizes:
        w, h = (int(v) for v in size.split("x"))
        iou, seen = mask_ceiling(ds, w, h, args.scenes)
        macs, fwd, step = timing(w, h)
        print(json.dumps({"input": size, "mask_ceiling_iou": round(iou, 4), "seen_share": round(seen, 4),
                          "macs": macs, "forward_ms": round(fwd, 2), "train_step_s": round(step, 3)}), flush=True)


if __name__ == "__main__":
    main()
