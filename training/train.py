"""Train one perception or segmentation network on a `grasp-perception dataset` directory.

    /usr/bin/python3 training/train.py --arch fast_graspnext --data DIR --out runs/fast_graspnext --samples 9600

Budget = training samples (images seen), identical across compared models. Checkpoints every
--checkpoint-every samples to OUT/checkpoint.pt; --resume continues from it with the same batch order
(each step's batch and flips come from a generator seeded by (seed, step)). Writes OUT/final.pt and
OUT/train_log.jsonl. Runs on CPU (torch 1.13) and on CUDA (torch 2.x) when --device cuda.

--init MODEL.pt starts from a trained model's weights (the checkpoint training/export.py writes beside the
ONNX) instead of random ones: same architecture and input size, and the model's own input normalisation is
kept (its weights were trained on it). training/finetune.py uses it to adapt a model to a cell.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

import torch

from losses import perception_loss, segmentation_class_weights, segmentation_loss
from machine import machine
from perception_models import BACKBONES, GraspNet
from segmentation_models import SEGMENTERS, build_segmenter
from training_data import batch, load_split, load_split_v2, make_input, normalisation


def parse_input(text):
    """'192x144' -> (192, 144); None stays None (input contract v1: the dataset's own size)."""
    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"train.py: --input must be WIDTHxHEIGHT like 192x144, got {text!r}")
    return w, h


def load_training_data(dirs, size):
    """The training split of one or more datasets: v1 (size None) from one dataset at the input size, v2
    (size (W, H)) through the encoded contract, several datasets (e.g. one per cell) concatenated."""
    if size is None:
        if len(dirs) != 1:
            raise SystemExit("train.py: several --data need --input (input contract v2)")
        return load_split(dirs[0], "train")
    parts = [load_split_v2(d, "train", size[0], size[1]) for d in dirs]
    data = {k: torch.cat([p[k] for p in parts]) for k in parts[0] if k not in ("version", "contract", "aspects")}
    data.update(version=parts[0]["version"], contract=parts[0]["contract"],
                aspects=sorted({a for p in parts for a in p["aspects"]}))
    return data


def load_init(path, arch, size, num_classes):
    """The weights (and normalisation, contract) a fine-tuning starts from; one line when they do not fit."""
    try:
        init = torch.load(path, map_location="cpu")  # our own file: plain tensors, numbers, strings
    except (OSError, RuntimeError) as e:
        raise SystemExit(f"train.py: --init {path}: not a readable checkpoint ({e})")
    if not isinstance(init, dict) or "model" not in init or "arch" not in init:
        raise SystemExit(f"train.py: --init {path}: not a model checkpoint (written by export.py or train.py)")
    if init["arch"] != arch:
        raise SystemExit(f"train.py: --init {path} is a {init['arch']}, not --arch {arch}")
    if size is None or (init["width"], init["height"]) != size or not init.get("contract"):
        raise SystemExit(f"train.py: --init {path} takes a {init['width']}x{init['height']} input "
                         f"(contract {'v2' if init.get('contract') else 'v1'}); pass --input {init['width']}x{init['height']} "
                         "(fine-tuning needs an input contract v2 model)")
    if init["num_classes"] != num_classes:
        raise SystemExit(f"train.py: --init {path} has {init['num_classes']} classes, the data {num_classes}")
    return init


def task_of(arch):
    if arch in BACKBONES:
        return "perception"
    if arch in SEGMENTERS:
        return "segmentation"
    raise SystemExit(f"train.py: unknown --arch {arch!r}; one of {sorted(BACKBONES) + sorted(SEGMENTERS)}")


def build_model(arch, num_classes):
    return GraspNet(arch) if task_of(arch) == "perception" else build_segmenter(arch, num_classes)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def learning_rate(step, steps, base, warmup):
    """Linear warm-up, then cosine decay to 5 % of the base rate."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    task = task_of(args.arch)
    size = parse_input(args.input)
    dirs = args.data
    with open(os.path.join(dirs[0], "dataset.json")) as f:
        dataset_manifest = json.load(f)
    num_classes = len(dataset_manifest["semantic_classes"])
    init = load_init(args.init, args.arch, size, num_classes) if args.init else None
    data = load_training_data(dirs, size)
    contract = 2 if "contract" in data else 1
    # Fine-tuning keeps the input normalisation the initial weights were trained with.
    mean, std = (init["mean"], init["std"]) if init else normalisation(data)
    model = build_model(args.arch, num_classes).to(device)
    if init:
        if init["contract"]["fit"] != data["contract"]["fit"] or (
                task == "perception" and init["contract"]["depth_encoding"] != data["contract"]["depth_encoding"]):
            raise SystemExit(f"train.py: --init {args.init} was trained on another input contract than the data's")
        model.load_state_dict(init["model"])
    class_weights = (segmentation_class_weights(data["semantic"], num_classes).to(device)
                     if task == "segmentation" and args.class_balance == "sqrt-median" else None)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = max(1, args.samples // args.batch)
    warmup = min(100, steps // 10 + 1)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    log_path = os.path.join(args.out, "train_log.jsonl")
    step, elapsed = 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location=device)  # our own file: plain tensors, numbers, strings
        if ckpt["arch"] != args.arch or ckpt["steps"] != steps:
            raise SystemExit(f"train.py: {ckpt_path} is for {ckpt['arch']} with {ckpt['steps']} steps, "
                             f"not {args.arch} with {steps}; remove it or change --out")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, elapsed = ckpt["step"], ckpt["elapsed_s"]
        print(f"resumed {args.arch} at step {step}/{steps}", file=sys.stderr)
    elif os.path.exists(log_path):
        os.remove(log_path)
    n = data["rgb"].shape[0]
    model.train()
    every = max(1, args.checkpoint_every // args.batch)
    started = time.time() - elapsed
    window = []
    with open(log_path, "a") as log:
        while step < steps:
            g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
            idx = torch.randint(0, n, (args.batch,), generator=g)
            flips = torch.rand(2, args.batch, generator=g) < 0.5
            b = batch(data, idx, flips[0], flips[1])
            b = {k: v.to(device) for k, v in b.items()}
            for group in opt.param_groups:
                group["lr"] = learning_rate(step, steps, args.lr, warmup)
            if task == "perception":
                x = make_input(b["rgb"], b["depth"], mean, std, contract=contract)
                loss, parts = perception_loss(model.forward_dict(x), b)
            else:
                x = make_input(b["rgb"], b["depth"], mean, std, with_depth=False, contract=contract)
                loss, parts = segmentation_loss(model(x), b, class_weights)
            if not torch.isfinite(loss):
                raise SystemExit(f"train.py: {args.arch} loss is {float(loss)} at step {step}; lower --lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            step += 1
            window.append(float(loss))
            if step % args.log_every == 0 or step == steps:
                rec = {"step": step, "samples": step * args.batch, "loss": sum(window) / len(window),
                       "parts": parts, "lr": opt.param_groups[0]["lr"], "elapsed_s": round(time.time() - started, 1)}
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(f"{args.arch} step {step}/{steps} loss {rec['loss']:.4f} ({rec['elapsed_s']:.0f} s)", file=sys.stderr)
                window = []
            if step % every == 0 or step == steps:
                torch.save({"arch": args.arch, "steps": steps, "step": step, "model": model.state_dict(),
                            "optimizer": opt.state_dict(), "elapsed_s": time.time() - started}, ckpt_path + ".tmp")
                os.replace(ckpt_path + ".tmp", ckpt_path)
                if args.stop_after and step >= args.stop_after and step < steps:
                    print(f"stopped at step {step}/{steps}; continue with --resume", file=sys.stderr)
                    return
    wall = time.time() - started
    final = {
        "arch": args.arch, "task": task, "model": model.state_dict(), "mean": mean, "std": std,
        "num_classes": num_classes, "semantic_classes": dataset_manifest["semantic_classes"],
        "width": size[0] if size else dataset_manifest["width"],
        "height": size[1] if size else dataset_manifest["height"],
        # Input contract v2: the camera aspects the training data came from (the runtime WARNs for others);
        # fine-tuned, those of the initial weights' data too.
        "contract": {**data["contract"], "trained_aspects": sorted(
            set(data["aspects"]) | set(init["contract"]["trained_aspects"] if init else []))} if contract == 2 else None,
        "training": {"dataset_seed": dataset_manifest["seed"], "dataset_scenes": dataset_manifest["scenes"],
                     "datasets": [os.path.basename(os.path.normpath(d)) for d in dirs],
                     "train_scenes": n, "samples": steps * args.batch, "batch": args.batch, "steps": steps,
                     "optimizer": f"AdamW lr {args.lr} wd {args.weight_decay}, warm-up {warmup} steps, cosine to 5 %",
                     "augmentation": "random horizontal and vertical flips", "seed": args.seed,
                     **({"class_weights": {"method": "(median frequency / frequency)^0.5, clipped to 0.1-10",
                                           "weights": [round(float(w), 4) for w in class_weights]}}
                        if class_weights is not None else {}),
                     "wall_s": round(wall, 1), "threads": args.threads, "device": str(device),
                     "torch": str(torch.__version__), "machine": machine(),
                     **({"init": {"file": os.path.basename(args.init), "sha256": sha256_file(args.init),
                                  "training": init["training"]}} if init else {})},
    }
    torch.save(final, os.path.join(args.out, "final.pt"))
    print(json.dumps({"arch": args.arch, "samples": steps * args.batch, "wall_s": round(wall, 1)}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", required=True)
    p.add_argument("--data", required=True, action="append",
                   help="directory written by `grasp-perception dataset` (repeat: several, with --input)")
    p.add_argument("--input", default=None,
                   help="input contract v2 at this network input, WIDTHxHEIGHT (e.g. 192x144); default: v1 at the dataset's size")
    p.add_argument("--out", required=True)
    p.add_argument("--init", default=None,
                   help="start from a trained model's weights: MODEL.pt beside its manifest (training.checkpoint) or a final.pt")
    p.add_argument("--samples", type=int, default=9600, help="training budget in images")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--class-balance", choices=("sqrt-median", "none"), default="sqrt-median",
                   help="segmenters: weight the cross-entropy by (median frequency / class frequency)^0.5")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--checkpoint-every", type=int, default=800, help="samples between checkpoints")
    p.add_argument("--log-every", type=int, default=25, help="steps between log lines")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--stop-after", type=int, default=0,
                   help="exit at the first checkpoint at or after this step (time-boxed sessions; resume later)")
    train(p.parse_args(argv))


if __name__ == "__main__":
    main()
