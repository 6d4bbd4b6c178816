"""Export a push-and-grasp policy to ONNX plus its manifest (task "policy"; schema src/models/manifest.ts).

    /usr/bin/python3 training/policy_export.py --checkpoint out/policy/reduced/final.pt --name policy_reduced --out models
    /usr/bin/python3 training/policy_export.py --untrained policy_full --name policy_full --out out/policy/full

The input is the R rotated heightmaps at once ([R, C, S, S]); outputs push_q and grasp_q are [R, 1, S, S]
(the runtime reads grasps from rotation 0). --untrained exports random weights: latency and compute of an
architecture that was not trained (policy_full on a 2-core CPU), never task metrics.
"""

import argparse
import json
import os

import torch

import export as export_mod
from complexity import count_macs, count_params
from policy_models import OUTPUT_NAMES, build_policy

DESCRIPTIONS = {
    "policy_full": "VPG-size push-and-grasp Q networks: 4 DenseNet-121 trunks (colour, depth x push, grasp), 16 rotations",
    "policy_reduced": "reduced push-and-grasp Q network (Ferraro-style): one small dilated FCN, shared trunk, 8 rotations",
}
OUTPUT_MEANING = {
    "push_q": "Q value of a push starting at each pixel of each rotated input, along its +x (rotation r: angle r*2pi/R)",
    "grasp_q": "Q value of a suction grasp at each pixel; the runtime reads rotation 0",
}


def export_policy(model, spec, name, out_dir, arch, training, description_suffix=""):
    """`model`: an nn.Module returning (push_q, grasp_q); a QAT model is counted as its architecture
    (the same convolutions, batch norm folded)."""
    model.eval()
    r, s, c = spec["rotations"], spec["size"], len(spec["channels"])
    shape = [r, c, s, s]
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    export_mod.export_onnx(model, torch.zeros(shape), onnx_path, OUTPUT_NAMES)
    storage = "fp32"
    if os.path.getsize(onnx_path) > 20e6:
        export_mod.store_weights_fp16(onnx_path)
        storage = "fp16"
    counted = build_policy(arch, spec["channels"])[0] if getattr(model, "is_qat", False) else model
    macs = count_macs(counted, tuple(shape))  # all R rotations: the compute of one decision
    manifest = {
        "format_version": 1,  # a policy's manifest has no input contract v2
        "name": name,
        "task": "policy",
        "architecture": arch,
        "description": DESCRIPTIONS[arch] + description_suffix,
        "model_file": os.path.basename(onnx_path),
        "file_bytes": os.path.getsize(onnx_path),
        "sha256": export_mod.sha256(onnx_path),
        "precision": "fp32",
        "weights_storage": storage,
        "opset": export_mod.OPSET,
        "input": {
            "name": "input",
            "shape": shape,
            "layout": "NCHW",
            "channels": spec["channels"],
            "mean": spec["mean"],
            "std": spec["std"],
            "depth_unit": "m",
            "invalid_depth": "cells without points have height 0 (the floor); padding is 0 after normalisation",
        },
        "outputs": [{"name": n, "shape": [r, 1, s, s], "meaning": OUTPUT_MEANING[n]} for n in OUTPUT_NAMES],
        "classes": [],
        "complexity": {"params": count_params(counted), "macs": macs, "gflops": round(macs / 1e9, 4),
                       "flops_convention": "1 multiply-accumulate = 1 FLOP (Conv2d and Linear), per decision (all rotations)"},
        "policy": {"rotations": r, "grid": spec["grid"], "push_length": spec["push_length"],
                   "object_height": spec["object_height"]},
        "training": training,
        "metrics": {},
    }
    export_mod.write_manifest(manifest, os.path.join(out_dir, f"{name}.json"))
    return manifest


def load_trained(checkpoint):
    ck = torch.load(checkpoint, map_location="cpu")
    net, _ = build_policy(ck["policy"], ck["spec"]["channels"])
    spec = ck["spec"]  # as trained: its grid names the heightmap method
    if ck.get("qat"):
        from qat import QatPolicy, export_mode
        net = QatPolicy(net)
        net.load_state_dict(ck["model"])
        export_mode(net)
    else:
        net.load_state_dict(ck["model"])
    training = {"method": "Q-learning in the simulator (training/policy_train.py)", "steps": ck.get("steps"),
                "episodes": ck.get("episodes"), "train_seconds": round(ck.get("train_seconds", 0), 1),
                "qat": bool(ck.get("qat")), "machine": ck.get("machine")}
    # Runs on randomised cells (policy_train.py --cells): the episode mix, cameras and suction model.
    for k in ("episodes_from", "suction_model", "lost_penalty"):
        if ck.get(k) is not None:
            training[k] = ck[k]
    return net, spec, ck["policy"], training


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--checkpoint", help="final.pt / final_qat.pt written by policy_train.py")
    g.add_argument("--untrained", help="architecture to export with random weights (seed 0)")
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.checkpoint:
        net, spec, arch, training = load_trained(args.checkpoint)
        suffix = ""
    else:
        torch.manual_seed(0)
        net, spec = build_policy(args.untrained)
        arch, training, suffix = args.untrained, {"method": "untrained (random weights): latency and compute only"}, ""
    m = export_policy(net, spec, args.name, args.out, arch, training, suffix)
    print(json.dumps({"name": m["name"], "file_bytes": m["file_bytes"], "params": m["complexity"]["params"],
                      "gflops": m["complexity"]["gflops"]}))


if __name__ == "__main__":
    main()
