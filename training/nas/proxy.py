"""The search's validation score: the multi-task loss (training/losses.py) of a subnet on the held-out
validation split, with the supernet's shared weights and BatchNorm statistics recalibrated for the subnet
on a few training batches (shared running statistics belong to no single subnet). Lower is better.
The loss is taken at one reference input size for every subnet (`on_reference_grid`): the task loss at a
subnet's own size is not comparable across sizes (box sides are in input pixels, the heatmaps' focal sums grow
with the pixel count), and scoring each subnet at its own size ranked 128x96 subnets first while their task
metrics were the worst (proxy_check: Kendall tau -0.43 on amodal box AP, docs/nas.md).
The validation split is neither trained on nor reported: the test split stays for the final tables."""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from losses import perception_loss  # noqa: E402
from nas.supernet import EBatchNorm, build_supernet  # noqa: E402
from training_data import batch, load_split_v2, make_input  # noqa: E402


def load_split_dirs(dirs, split, size, limit=None):
    """One split of every dataset at one input size, concatenated; `limit`: the first scenes of each dataset."""
    parts = [load_split_v2(d, split, size[0], size[1]) for d in dirs]
    keys = [k for k in parts[0] if k not in ("version", "contract", "aspects")]
    return {k: torch.cat([p[k][:limit] if limit else p[k] for p in parts]) for k in keys}


PROXY_VERSION = 2  # 2: the loss on the reference grid (scores.jsonl headers name it; 1 scored at each size)


def on_reference_grid(out, size, reference):
    """A subnet's outputs at input `size` (w, h), resized to the grids the network would have at `reference`
    (w, h) as the node upsamples them to the camera: every map bilinearly, box sides rescaled to the reference's
    pixels. The targets of the reference size then score every subnet on the same pixels."""
    if tuple(size) == tuple(reference):
        return out
    ratio = reference[0] / size[0]
    res = {}
    for k, v in out.items():
        grid = (round(v.shape[-2] * reference[1] / size[1]), round(v.shape[-1] * ratio))
        v = F.interpolate(v, size=grid, mode="bilinear", align_corners=False)
        res[k] = v * ratio if k == "box_ltrb" else v
    return res


class ValidationProxy:
    def __init__(self, checkpoint, dirs, calib_batches=4, batch_size=8, max_val=None, threads=2, reference=None):
        torch.set_num_threads(threads)
        ckpt = torch.load(checkpoint, map_location="cpu")
        self.space, self.mean, self.std = ckpt["space"], ckpt["mean"], ckpt["std"]
        self.model = build_supernet(self.space)
        self.model.load_state_dict(ckpt["model"])
        self.dirs, self.calib_batches, self.batch_size, self.max_val = dirs, calib_batches, batch_size, max_val
        self.calib, self.val = {}, {}
        # The largest input size of the space by default: the closest to the camera the node scores at.
        self.reference = tuple(reference or max((tuple(r) for r in self.space["resolutions"]), key=lambda r: r[0] * r[1]))

    def _data(self, size):
        if size not in self.val:
            train = load_split_dirs(self.dirs, "train", size)
            # Keep only the calibration scenes (the same seeded draw for every subnet): the full training
            # split at every size would hold gigabytes for 32 images.
            g = torch.Generator().manual_seed(0)
            n = train["rgb"].shape[0]
            idx = torch.cat([torch.randint(0, n, (self.batch_size,), generator=g) for _ in range(self.calib_batches)])
            self.calib[size] = batch(train, idx)
            del train
            self.val[size] = load_split_dirs(self.dirs, "val", size, self.max_val)
        return self.calib[size], self.val[size]

    def _input(self, b):
        return make_input(b["rgb"], b["depth"], self.mean, self.std, contract=2)

    @torch.no_grad()
    def calibrate_bn(self, calib):
        bns = [m for m in self.model.modules() if isinstance(m, EBatchNorm)]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        self.model.train()
        for i in range(0, calib["rgb"].shape[0], self.batch_size):
            self.model.forward_dict(self._input(batch(calib, torch.arange(i, i + self.batch_size))))
        for m in bns:
            m.momentum = 0.1
        self.model.eval()

    @torch.no_grad()
    def __call__(self, arch):
        """The score of one subnet (callers memoise: the search keeps its scores in scores.jsonl)."""
        size = tuple(arch["resolution"])
        calib, val = self._data(size)
        _, target = self._data(self.reference)  # the same scenes in the same order, encoded at the reference size
        self.model.set_active(arch)
        self.calibrate_bn(calib)
        n, total = val["rgb"].shape[0], 0.0
        for i in range(0, n, self.batch_size):
            idx = torch.arange(i, min(n, i + self.batch_size))
            out = on_reference_grid(self.model.forward_dict(self._input(batch(val, idx))), size, self.reference)
            loss, _ = perception_loss(out, batch(target, idx))
            total += float(loss) * len(idx)
        return total / n
