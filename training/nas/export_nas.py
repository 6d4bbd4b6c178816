"""Export subnets to ONNX + manifest (the runtime's one contract), with the architecture and its encoding.

    /usr/bin/python3 training/nas/export_nas.py random --space S --samples N --seed 1 --out DIR [--int8]
        # N random subnets (random weights: for latency only), DIR/nas_0000.json ... and DIR/index.jsonl
    /usr/bin/python3 training/nas/export_nas.py trained --checkpoint runs/nas_s/final.pt --name fast_graspnext_nas_s --out models

The manifest is training/export.py's (format 2, input contract v2) plus `nas`: {space, encoding, arch}.
Random subnets carry identity normalisation and no training; the int8 copy of a random subnet is
quantized by training/quantize.py with placeholder activation ranges ([-4, 4]): its graph, and so its
latency, is the calibrated model's; its outputs are meaningless (such manifests say so).
"""

import argparse
import json
import os
import random
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import export as export_mod  # noqa: E402
import perception_models  # noqa: E402
import quantize  # noqa: E402
from complexity import count_macs, count_params  # noqa: E402
from nas.space import DEFAULT_SPACE, decode, encode, load_space, name_of, sample  # noqa: E402
from nas.supernet import build_subnet  # noqa: E402
from training_data import MIN_VISIBLE_PIXELS  # noqa: E402

CONTRACT = {"version": 2, "fit": "letterbox", "pad_color": [0, 0, 0], "depth_encoding": "height_above_support",
            "trained_aspects": [1.333]}
CLASSES = [{"id": 0, "name": "background"}]


def export_subnet(model, arch, space, name, out_dir, mean=None, std=None, contract=None, training=None,
                  classes=None, description=None):
    """ONNX + manifest of a subnet (a build_subnet model). Returns the manifest."""
    w, h = arch["resolution"]
    shape = [1, 4, h, w]
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    model.eval()
    x = torch.zeros(shape)
    export_mod.export_onnx(model, x, onnx_path, perception_models.OUTPUT_NAMES)
    unshare_initializers(onnx_path)
    with torch.no_grad():
        outs = model(x)
    macs = count_macs(model, tuple(shape))
    mean = mean or [0.0, 0.0, 0.0, 0.0]
    std = std or [1.0, 1.0, 1.0, 1.0]
    manifest = {
        "format_version": 2, "name": name, "task": "perception", "architecture": "fast_graspnext_nas",
        "description": description or f"RAM-NAS subnet {name_of(arch)}",
        "model_file": os.path.basename(onnx_path), "file_bytes": os.path.getsize(onnx_path),
        "sha256": export_mod.sha256(onnx_path), "precision": "fp32", "weights_storage": "fp32",
        "opset": export_mod.OPSET,
        "input": {
            "name": "input", "shape": shape, "layout": "NCHW", "channels": ["red", "green", "blue", "height"],
            "mean": [round(v / 255 if i < 3 else v, 6) for i, v in enumerate(mean)],
            "std": [round(v / 255 if i < 3 else v, 6) for i, v in enumerate(std)],
            "depth_unit": "m",
            "invalid_depth": "0 after normalisation (the mean height): no depth, no support plane, or padding",
            "resize": {"color": "bilinear", "depth": "nearest"},
            "contract": {**CONTRACT, **(contract or {})},
        },
        "outputs": [{"name": n, "shape": list(o.shape), "meaning": export_mod.PERCEPTION_OUTPUTS[n]}
                    for n, o in zip(perception_models.OUTPUT_NAMES, outs)],
        "classes": classes or CLASSES,
        "complexity": {"params": count_params(model), "macs": macs, "gflops": round(macs / 1e9, 4),
                       "flops_convention": "1 multiply-accumulate = 1 FLOP (Conv2d and Linear)"},
        "training": training or {"note": "untrained: random weights, for latency measurement only"},
        "decoding": {"stride": perception_models.STRIDE, "proto_stride": perception_models.PROTO_STRIDE,
                     "num_prototypes": perception_models.NUM_PROTOS, "peak_kernel": 3, "score_threshold": 0.3,
                     "nms_iou": 0.7, "max_instances": 50, "mask_threshold": 0.5, "occlusion_threshold": 0.5,
                     "com_threshold": 0.3, "min_visible_pixels": MIN_VISIBLE_PIXELS},
        "nas": {"space": space["name"], "encoding": encode(space, arch), "arch": arch},
        "metrics": {},
    }
    keep = {"version", "fit", "pad_color", "depth_encoding", "trained_aspects"}
    manifest["input"]["contract"] = {k: v for k, v in manifest["input"]["contract"].items() if k in keep}
    export_mod.write_manifest(manifest, os.path.join(out_dir, f"{name}.json"))
    return manifest


def unshare_initializers(path):
    """The TorchScript exporter replaces equal initializers by one plus Identity nodes (e.g. the centre and CoM
    biases, both -4.6 at init); quantize.py needs every Conv's weight and bias as its own initializer."""
    model = onnx.load(path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    for n in list(g.node):
        if n.op_type == "Identity" and n.input[0] in inits:
            copy_ = onnx.TensorProto()
            copy_.CopyFrom(inits[n.input[0]])
            copy_.name = n.output[0]
            g.initializer.append(copy_)
            g.node.remove(n)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def randomize_batchnorm(model):
    """Trained-like BN statistics and affine parameters (an untrained net's are all identical, and the ONNX
    exporter then shares the folded biases of equal-sized layers, which is not the graph a trained net has)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
    return model


def int8_placeholder(manifest_path, work):
    """int8 QDQ copy with placeholder ranges (latency only): quantize.py prepare + finalize."""
    with open(manifest_path) as f:
        m = json.load(f)
    out_dir = os.path.dirname(manifest_path)
    fp32 = os.path.join(out_dir, m["model_file"])
    name = m["name"] + "_int8"
    calib, tensors = os.path.join(work, f"{name}.calib.onnx"), os.path.join(work, f"{name}.tensors.json")
    quantize.prepare(fp32, calib, tensors)
    with open(tensors) as f:
        names = json.load(f)["tensors"]
    ranges = os.path.join(work, f"{name}.ranges.json")
    with open(ranges, "w") as f:
        json.dump({"method": "placeholder", "images": 0, "ranges": {t: [-4.0, 4.0] for t in names}}, f)
    int8 = os.path.join(out_dir, f"{name}.onnx")
    convs = quantize.finalize(fp32, ranges, int8)
    os.remove(calib)
    m.update({"name": name, "model_file": os.path.basename(int8), "file_bytes": os.path.getsize(int8),
              "sha256": export_mod.sha256(int8), "precision": "int8", "weights_storage": "int8",
              "quantization": {"method": "static post-training, QDQ (onnxruntime U8S8)",
                               "calibration": "placeholder ranges [-4, 4]: latency measurement only",
                               "quantized_convs": convs, "from": os.path.basename(fp32)}})
    export_mod.write_manifest(m, os.path.join(out_dir, f"{name}.json"))
    return m


def export_random(space_path, samples, seed, out_dir, int8=False, first=0):
    """Subnets `first`..samples-1 of the seeded sequence (a rerun continues where a file is missing)."""
    space = load_space(space_path)
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.join(out_dir, "work")
    os.makedirs(work, exist_ok=True)
    records = []
    for i in range(samples):
        arch = sample(space, rng)
        name = f"nas_{i:04d}"
        path = os.path.join(out_dir, f"{name}.json")
        if i >= first and not os.path.exists(path):
            torch.manual_seed(seed * 100_003 + i)
            export_subnet(randomize_batchnorm(build_subnet(arch)), arch, space, name, out_dir)
            if int8:
                int8_placeholder(path, work)
        rec = {"index": i, "manifest": path, "encoding": encode(space, arch)}
        if int8:
            rec["int8_manifest"] = os.path.join(out_dir, f"{name}_int8.json")
        records.append(rec)
        print(json.dumps(rec), flush=True)
    return records


def export_trained(checkpoint, name, out_dir):
    """A fine-tuned subnet (train_supernet.py --subnet final.pt) -> models/<name>.json + .onnx."""
    ckpt = torch.load(checkpoint, map_location="cpu")
    arch, space = ckpt["arch"], ckpt["space"]
    model = build_subnet(arch)
    model.load_state_dict(ckpt["model"])
    decode(space, encode(space, arch))
    return export_subnet(model, arch, space, name, out_dir, ckpt["mean"], ckpt["std"], ckpt["contract"],
                         ckpt["training"], ckpt["semantic_classes"],
                         f"Fast GraspNeXt-style network found by RAM-NAS ({name_of(arch)})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random")
    r.add_argument("--space", default=DEFAULT_SPACE)
    r.add_argument("--samples", type=int, required=True)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--out", required=True)
    r.add_argument("--int8", action="store_true")
    t = sub.add_parser("trained")
    t.add_argument("--checkpoint", required=True)
    t.add_argument("--name", required=True)
    t.add_argument("--out", required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    if a.cmd == "random":
        export_random(a.space, a.samples, a.seed, a.out, a.int8)
    else:
        m = export_trained(a.checkpoint, a.name, a.out)
        print(json.dumps({"name": m["name"], "params": m["complexity"]["params"], "macs": m["complexity"]["macs"]}))


if __name__ == "__main__":
    main()
