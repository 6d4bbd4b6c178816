"""The search's validation score: the multi-task loss (training/losses.py) of a subnet on the held-out
validation split, with the supernet's shared weights and BatchNorm statistics recalibrated for the subnet
on a few training batches (shared running statistics belong to no single subnet). Lower is better.
The validation split is neither trained on nor reported: the test split stays for the final tables."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from losses import perception_loss  # noqa: E402
from nas.supernet import EBatchNorm, build_supernet  # noqa: E402
from training_data import batch, load_split_v2, make_input  # noqa: E402


def load_split_dirs(dirs, split, size, limit=None):
    """One split of every dataset at one input size, concatenated; `limit`: the first scenes of each dataset."""
    parts = [load_split_v2(d, split, size[0], size[1]) for d in dirs]
    keys = [k for k in parts[0] if k not in ("version", "contract", "aspects")]
    return {k: torch.cat([p[k][:limit] if limit else p[k] for p in parts]) for k in keys}


class ValidationProxy:
    def __init__(self, checkpoint, dirs, calib_batches=4, batch_size=8, max_val=None, threads=2):
        torch.set_num_threads(threads)
        ckpt = torch.load(checkpoint, map_location="cpu")
        self.space, self.mean, self.std = ckpt["space"], ckpt["mean"], ckpt["std"]
        self.model = build_supernet(self.space)
        self.model.load_state_dict(ckpt["model"])
        self.dirs, self.calib_batches, self.batch_size, self.max_val = dirs, calib_batches, batch_size, max_val
        self.calib, self.val = {}, {}

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
        calib, val = self._data(tuple(arch["resolution"]))
        self.model.set_active(arch)
        self.calibrate_bn(calib)
        n, total = val["rgb"].shape[0], 0.0
        for i in range(0, n, self.batch_size):
            b = batch(val, torch.arange(i, min(n, i + self.batch_size)))
            loss, _ = perception_loss(self.model.forward_dict(self._input(b)), b)
            total += float(loss) * b["rgb"].shape[0]
        return total / n
