"""Reference data for the torch-vs-onnxruntime-node parity test (test/models/onnx-parity.test.ts).

For each architecture: a seeded random-weight network (BN statistics randomised too, so the folded
convolutions are not identities) is exported exactly as export.py does, and a random input plus the
torch outputs are written as raw little-endian float32 files:

    DIR/<arch>.onnx  DIR/<arch>.input.f32  DIR/<arch>.<output>.f32  DIR/index.json
"""

import argparse
import json
import os

import numpy as np
import torch

import perception_models
import segmentation_models
from export import export_onnx
from train import build_model, task_of


def reference(arch, out_dir, seed=0):
    torch.manual_seed(seed)
    model = build_model(arch, 7)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    model.eval()
    perception = task_of(arch) == "perception"
    x = torch.randn(1, 4 if perception else 3, 128, 160)
    names = perception_models.OUTPUT_NAMES if perception else segmentation_models.OUTPUT_NAMES
    export_onnx(model, x, os.path.join(out_dir, f"{arch}.onnx"), names)
    with torch.no_grad():
        outs = model(x)
    outs = outs if isinstance(outs, tuple) else (outs,)
    x.numpy().astype("<f4").tofile(os.path.join(out_dir, f"{arch}.input.f32"))
    for n, o in zip(names, outs):
        o.numpy().astype("<f4").tofile(os.path.join(out_dir, f"{arch}.{n}.f32"))
    return {"arch": arch, "input_shape": list(x.shape), "outputs": {n: list(o.shape) for n, o in zip(names, outs)}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--arch", action="append", help="default: every architecture")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    archs = args.arch or list(perception_models.BACKBONES) + list(segmentation_models.SEGMENTERS)
    index = [reference(a, args.out) for a in archs]
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    print(json.dumps({"archs": len(index)}))


if __name__ == "__main__":
    main()
