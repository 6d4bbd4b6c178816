"""Export a trained network to ONNX (opset 17) plus its manifest, the one contract the runtime reads.

    /usr/bin/python3 training/export.py --checkpoint runs/fast_graspnext/final.pt --name fast_graspnext --out models

Writes OUT/<name>.onnx and OUT/<name>.json (schema: src/models/manifest.ts; fields: docs/models.md), and
OUT/<name>.pt: the fp32 weights before the exporter folds BatchNorm, with the normalisation, input size and
contract (`training.checkpoint` in the manifest), which fine-tuning starts from (training/finetune.py).
A file that would exceed --max-mb stores its weights as float16 behind Cast nodes (onnxruntime folds
them back to float32 at load, so compute stays fp32); the manifest records `weights_storage`.
"""

import argparse
import hashlib
import inspect
import json
import os

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

import perception_models
import segmentation_models
from complexity import count_macs, count_params
from training_data import MIN_VISIBLE_PIXELS
from train import build_model

OPSET = 17
# 2: input contract v2 in `input.contract` (src/models/manifest.ts); 1: the original contract (no such field).
MANIFEST_VERSION = 2

PERCEPTION_OUTPUTS = {
    "center_heatmap": "amodal box centre probability per stride-4 cell (sigmoid)",
    "box_ltrb": "distances in input pixels from the cell centre ((x+0.5)*4, (y+0.5)*4) to the amodal box's left, top, right, bottom",
    "occlusion": "probability that the object centred at the cell is occluded (sigmoid)",
    "visible_coeffs": "visible-mask coefficients of the object centred at the cell (tanh)",
    "amodal_coeffs": "amodal-mask coefficients of the object centred at the cell (tanh)",
    "visible_protos": "visible-mask prototypes at stride 2; mask = sigmoid(sum_k coeff_k * proto_k)",
    "amodal_protos": "amodal-mask prototypes at stride 2; mask = sigmoid(sum_k coeff_k * proto_k)",
    "com_heatmap": "projected centre-of-mass probability per stride-4 cell (sigmoid)",
    "suction": "suction seal score per input pixel in [0, 1]",
}

DESCRIPTIONS = {
    "fast_graspnext": "Fast GraspNeXt-style: attention-condenser backbone with anti-aliased downsampling",
    "resnet_graspnext": "ResNet-50 (through conv4_x) backbone baseline",
    "efficientnet_graspnext": "EfficientNet-B0 (through stage 5) backbone baseline",
    "mobilenet_graspnext": "MobileNetV3-Large (through the last stride-16 block) backbone baseline",
    "attendseg": "AttendSeg-style semantic segmenter: attention condensers, anti-aliased downsampling",
    "lraspp": "LR-ASPP with a MobileNetV3-Large backbone (torchvision)",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def store_weights_fp16(path):
    """Rewrite float32 initializers (> 1024 values) as float16 + Cast, in place."""
    model = onnx.load(path)
    g = model.graph
    casts, keep = [], []
    for init in g.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and np.prod(init.dims) > 1024:
            arr = numpy_helper.to_array(init).astype(np.float16)
            keep.append(numpy_helper.from_array(arr, init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=onnx.TensorProto.FLOAT,
                                          name=init.name + "_cast"))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export_onnx(model, x, path, output_names):
    model.eval()
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter; keep the TorchScript one
    torch.onnx.export(model.cpu(), x.cpu(), path, opset_version=OPSET, input_names=["input"],
                      output_names=output_names, do_constant_folding=True, **kwargs)
    onnx.checker.check_model(onnx.load(path))


def export(checkpoint, name, out_dir, max_mb=20.0):
    ckpt = torch.load(checkpoint, map_location="cpu")
    arch, task = ckpt["arch"], ckpt["task"]
    model = build_model(arch, ckpt["num_classes"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    h, w = ckpt["height"], ckpt["width"]
    channels = 4 if task == "perception" else 3
    shape = [1, channels, h, w]
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    names = perception_models.OUTPUT_NAMES if task == "perception" else segmentation_models.OUTPUT_NAMES
    x = torch.zeros(shape)
    export_onnx(model, x, onnx_path, names)
    storage = "fp32"
    if os.path.getsize(onnx_path) > max_mb * 1e6:
        store_weights_fp16(onnx_path)
        storage = "fp16"
    with torch.no_grad():
        outs = model(x)
    outs = outs if isinstance(outs, tuple) else (outs,)
    macs = count_macs(model, tuple(shape))
    mean, std = ckpt["mean"], ckpt["std"]
    contract = ckpt.get("contract")
    manifest = {
        "format_version": MANIFEST_VERSION if contract else 1,
        "name": name,
        "task": task,
        "architecture": arch,
        "description": DESCRIPTIONS[arch],
        "model_file": os.path.basename(onnx_path),
        "file_bytes": os.path.getsize(onnx_path),
        "sha256": sha256(onnx_path),
        "precision": "fp32",
        "weights_storage": storage,
        "opset": OPSET,
        "input": {
            "name": "input",
            "shape": shape,
            "layout": "NCHW",
            "channels": ["red", "green", "blue", "depth"][:channels],
            # colour channels on the 0-1 scale (value / 255), depth in metres
            "mean": [round(v / 255 if i < 3 else v, 6) for i, v in enumerate(mean[:channels])],
            "std": [round(v / 255 if i < 3 else v, 6) for i, v in enumerate(std[:channels])],
            "depth_unit": "m",
            "invalid_depth": "0 after normalisation (the mean depth)",
            "resize": {"color": "bilinear", "depth": "nearest"},
        },
        "outputs": [
            {"name": n, "shape": list(o.shape),
             "meaning": PERCEPTION_OUTPUTS[n] if task == "perception" else "per-pixel class scores (argmax = class id)"}
            for n, o in zip(names, outs)
        ],
        "classes": ckpt["semantic_classes"],
        "complexity": {"params": count_params(model), "macs": macs, "gflops": round(macs / 1e9, 4),
                       "flops_convention": "1 multiply-accumulate = 1 FLOP (Conv2d and Linear)"},
        "training": ckpt["training"],
        "metrics": {},
    }
    if contract:
        # Input contract v2, as the runtime's encoder (`grasp-perception encode`) applied it to the training data.
        inp = manifest["input"]
        inp["contract"] = {"version": 2, "fit": contract["fit"], "pad_color": contract["pad_color"],
                           "depth_encoding": contract["depth_encoding"] if channels == 4 else None,
                           "trained_aspects": contract["trained_aspects"]}
        if channels == 4:
            inp["channels"] = ["red", "green", "blue", "height"]
            inp["invalid_depth"] = "0 after normalisation (the mean height): no depth, no support plane, or padding"
        inp["resize"] = {"color": "bilinear", "depth": "nearest"}
    if task == "perception":
        manifest["decoding"] = {
            "stride": perception_models.STRIDE,
            "proto_stride": perception_models.PROTO_STRIDE,
            "num_prototypes": perception_models.NUM_PROTOS,
            "peak_kernel": 3,
            "score_threshold": 0.3,
            "nms_iou": 0.7,
            "max_instances": 50,
            "mask_threshold": 0.5,
            "occlusion_threshold": 0.5,
            "com_threshold": 0.3,
            "min_visible_pixels": MIN_VISIBLE_PIXELS,
        }
    manifest["training"] = {**ckpt["training"], "checkpoint": write_checkpoint(ckpt, model, out_dir, name)}
    write_manifest(manifest, os.path.join(out_dir, f"{name}.json"))
    return manifest


# What a checkpoint holds besides the weights: everything train.py --init and this export read.
CHECKPOINT_KEYS = ("arch", "task", "mean", "std", "num_classes", "semantic_classes", "width", "height", "contract",
                   "training")


def write_checkpoint(ckpt, model, out_dir, name):
    """OUT/<name>.pt: the fp32 state_dict (BatchNorm not folded) and what rebuilds and feeds the model; returns
    the manifest's `training.checkpoint` record."""
    path = os.path.join(out_dir, f"{name}.pt")
    state = {k: v.detach().cpu().float() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    torch.save({**{k: ckpt.get(k) for k in CHECKPOINT_KEYS}, "model": state}, path)
    return {"file": os.path.basename(path), "file_bytes": os.path.getsize(path), "sha256": sha256(path),
            "content": "fp32 state_dict before BatchNorm folding, with the input normalisation, size and contract "
                       "(training/train.py --init)"}


def write_manifest(manifest, path):
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="final.pt written by train.py")
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-mb", type=float, default=20.0)
    args = p.parse_args(argv)
    m = export(args.checkpoint, args.name, args.out, args.max_mb)
    print(json.dumps({"name": m["name"], "file_bytes": m["file_bytes"], "weights_storage": m["weights_storage"],
                      "params": m["complexity"]["params"], "gflops": m["complexity"]["gflops"]}))


if __name__ == "__main__":
    main()
