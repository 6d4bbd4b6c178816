"""Train the supernet with the sandwich rule and mutual decoupled distillation, or fine-tune one subnet.

    /usr/bin/python3 training/nas/train_supernet.py --space training/nas/spaces/default.json \
        --data DIR [--data DIR2 ...] --out runs/supernet --samples 19200
    /usr/bin/python3 training/nas/train_supernet.py --subnet arch.json --init runs/supernet/supernet.pt \
        --data DIR --out runs/nas_s --samples 9600        # one subnet, weights inherited from the supernet

Datasets: input contract v2 (`grasp-perception dataset` at camera resolution, encoded by the runtime at
each of the space's input sizes, as training/train.py --input does). Each step draws one batch of scenes
(generator seeded by (seed, step), flips included) and runs four subnets on it, each at its own input
size: the largest, the smallest and two random ones (sandwich rule). Every subnet's loss is the task loss
(training/losses.py) plus --kd-weight x the decoupled distillation loss (nas/distill.py) towards the mean of
the other three's detached outputs (mutual distillation); the four losses are summed into one step.
Budget = images per subnet (--samples). Checkpoints every --checkpoint-every samples to OUT/checkpoint.pt;
--resume continues with the same batches and subnets. Writes OUT/supernet.pt (or OUT/final.pt for a subnet)
and OUT/train_log.jsonl.
"""

import argparse
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from losses import perception_loss
from machine import machine
from nas.distill import distillation_loss, teacher_for, views
from nas.space import encode, extreme, load_space, name_of, sample
from nas.supernet import build_subnet, build_supernet, subnet_state_dict
from train import learning_rate, load_training_data
from training_data import batch, make_input, normalisation


def load_resolutions(dirs, resolutions):
    """{(W, H): training split through input contract v2 at that size}, the same scenes in the same order."""
    data = {tuple(r): load_training_data(dirs, tuple(r)) for r in resolutions}
    counts = {r: d["rgb"].shape[0] for r, d in data.items()}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"train_supernet.py: the encoded splits differ in scenes: {counts}")
    return data


def step_subnets(space, seed, step):
    """The sandwich for one step: largest, smallest, two random (seeded by (seed, step))."""
    rng = random.Random(seed * 1_000_003 + step)
    return [extreme(space, True), extreme(space, False), sample(space, rng), sample(space, rng)]


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    single = None
    if args.subnet:
        with open(args.subnet) as f:
            single = json.load(f)
        single = single.get("arch", single)
    init = torch.load(args.init, map_location="cpu") if args.init else None
    # A subnet fine-tuned from a supernet lives in that supernet's space (a quick or a default one).
    space = init["space"] if init else load_space(args.space)
    if single is not None:
        encode(space, single)  # a subnet outside the space is refused here
    resolutions = [single["resolution"]] if single else space["resolutions"]
    data = load_resolutions(args.data, resolutions)
    first = data[tuple(resolutions[0])]
    with open(os.path.join(args.data[0], "dataset.json")) as f:
        dataset_manifest = json.load(f)
    mean, std = (init["mean"], init["std"]) if init else normalisation(first)
    if single is not None:
        model = build_subnet(single)
        if init:
            sup = build_supernet(init["space"])
            sup.load_state_dict(init["model"])
            model.load_state_dict(subnet_state_dict(sup, single, model))
    else:
        model = build_supernet(space)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = max(1, args.samples // args.batch)
    warmup = min(100, steps // 10 + 1)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    log_path = os.path.join(args.out, "train_log.jsonl")
    kind = "subnet" if single else "supernet"
    step, elapsed = 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        if ckpt["kind"] != kind or ckpt["steps"] != steps:
            raise SystemExit(f"train_supernet.py: {ckpt_path} is a {ckpt['kind']} run of {ckpt['steps']} steps, "
                             f"not {kind} with {steps}; remove it or change --out")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, elapsed = ckpt["step"], ckpt["elapsed_s"]
        print(f"resumed {kind} at step {step}/{steps}", file=sys.stderr)
    elif os.path.exists(log_path):
        os.remove(log_path)
    n = first["rgb"].shape[0]
    model.train()
    every = max(1, args.checkpoint_every // args.batch)
    started = time.time() - elapsed
    window = []
    with open(log_path, "a") as log:
        while step < steps:
            g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
            idx = torch.randint(0, n, (args.batch,), generator=g)
            flips = torch.rand(2, args.batch, generator=g) < 0.5
            for group in opt.param_groups:
                group["lr"] = learning_rate(step, steps, args.lr, warmup)
            archs = [single] if single else step_subnets(space, args.seed, step)
            outs, batches, tasks, parts = [], [], [], {}
            for arch in archs:
                b = batch(data[tuple(arch["resolution"])], idx, flips[0], flips[1])
                if single is None:
                    model.set_active(arch)
                out = model.forward_dict(make_input(b["rgb"], b["depth"], mean, std, contract=2))
                task, task_parts = perception_loss(out, b)
                outs.append(views(out, b))
                batches.append(b)
                tasks.append(task)
                parts.setdefault("task", []).append(float(task))
            loss = sum(tasks)
            if len(archs) > 1 and args.kd_weight > 0:
                for i, (student, b) in enumerate(zip(outs, batches)):
                    teacher = teacher_for(student, [o for j, o in enumerate(outs) if j != i])
                    kd, _ = distillation_loss(student, teacher, b, args.temperature, args.dkd_alpha, args.dkd_beta)
                    loss = loss + args.kd_weight * kd
                    parts.setdefault("kd", []).append(float(kd))
            if not torch.isfinite(loss):
                raise SystemExit(f"train_supernet.py: loss is {float(loss)} at step {step}; lower --lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            step += 1
            window.append(float(loss))
            if step % args.log_every == 0 or step == steps:
                rec = {"step": step, "samples": step * args.batch, "loss": sum(window) / len(window),
                       "task": parts["task"], "kd": parts.get("kd", []), "subnets": [name_of(a) for a in archs],
                       "lr": opt.param_groups[0]["lr"], "elapsed_s": round(time.time() - started, 1)}
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(f"{kind} step {step}/{steps} loss {rec['loss']:.4f} ({rec['elapsed_s']:.0f} s)", file=sys.stderr)
                window = []
            if step % every == 0 or step == steps:
                torch.save({"kind": kind, "steps": steps, "step": step, "model": model.state_dict(),
                            "optimizer": opt.state_dict(), "elapsed_s": time.time() - started}, ckpt_path + ".tmp")
                os.replace(ckpt_path + ".tmp", ckpt_path)
                if args.stop_after and step >= args.stop_after and step < steps:
                    print(f"stopped at step {step}/{steps}; continue with --resume", file=sys.stderr)
                    return None
    wall = time.time() - started
    if single is None:
        model.set_active(extreme(space, True))
    final = {
        "kind": kind, "space": space, "arch": single, "model": model.state_dict(), "mean": mean, "std": std,
        "num_classes": len(dataset_manifest["semantic_classes"]), "semantic_classes": dataset_manifest["semantic_classes"],
        "contract": {**first["contract"], "trained_aspects": first["aspects"]},
        "training": {"dataset_seed": dataset_manifest["seed"], "dataset_scenes": dataset_manifest["scenes"],
                     "datasets": [os.path.basename(os.path.normpath(d)) for d in args.data], "train_scenes": n,
                     "samples": steps * args.batch, "batch": args.batch, "steps": steps,
                     "method": ("sandwich rule (largest, smallest, 2 random) with mutual decoupled distillation "
                                f"(kd weight {args.kd_weight}, alpha {args.dkd_alpha}, beta {args.dkd_beta}, "
                                f"T {args.temperature})") if single is None else
                               ("fine-tuned from the supernet's shared weights" if init else "trained alone"),
                     "optimizer": f"AdamW lr {args.lr} wd {args.weight_decay}, warm-up {warmup} steps, cosine to 5 %",
                     "augmentation": "random horizontal and vertical flips", "seed": args.seed,
                     "wall_s": round(wall, 1), "threads": args.threads, "device": "cpu",
                     "torch": str(torch.__version__), "machine": machine()},
    }
    path = os.path.join(args.out, "supernet.pt" if single is None else "final.pt")
    torch.save(final, path)
    print(json.dumps({"kind": kind, "samples": steps * args.batch, "wall_s": round(wall, 1), "out": path}))
    return path


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--space", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces", "default.json"))
    p.add_argument("--data", required=True, action="append", help="dataset directory (repeat: one per cell)")
    p.add_argument("--out", required=True)
    p.add_argument("--subnet", default=None, help="train this one architecture (JSON: an arch dict, or {arch: ...})")
    p.add_argument("--init", default=None, help="with --subnet: start from this supernet.pt's shared weights")
    p.add_argument("--samples", type=int, default=19200,
                   help="training budget in images per subnet (default: the baselines' 19200)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--kd-weight", type=float, default=1.0)
    p.add_argument("--dkd-alpha", type=float, default=1.0)
    p.add_argument("--dkd-beta", type=float, default=0.5)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkpoint-every", type=int, default=800, help="samples between checkpoints")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--stop-after", type=int, default=0)
    return p


def main(argv=None):
    return train(parser().parse_args(argv))


if __name__ == "__main__":
    main()
