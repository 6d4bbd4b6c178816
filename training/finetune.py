"""Fine-tune a model for a cell: data of the cell -> train from the model's weights -> export -> evaluate both.

    npm run models -- --finetune --cell my_cell.yaml --from models/fast_graspnext.json
    /usr/bin/python3 training/finetune.py --cell my_cell.yaml --from models/fast_graspnext.json   # the same

1. data: `grasp-perception dataset --cell CELL --seed 1000 --split 75/0/25` at the cell's camera (a cell
   that fixes no camera: --camera, default 640x480), in WORK/data_<cell>.
2. train: training/train.py --init <model>.pt (the fp32 weights export.py writes beside the ONNX,
   `training.checkpoint` in the manifest) on the cell's training split, encoded by the runtime's contract
   code at the model's own input size; same architecture and input normalisation, a lower learning rate
   and a short schedule (the budget).
3. export: training/export.py -> MODELS/<name>_<cell>.{onnx,json,pt} (default out/finetune/models; the
   repository's models/ is refused: shipped models are never overwritten).
4. evaluate: `grasp-perception eval` (the node's own path at camera resolution) of the base and of the
   fine-tuned model on the cell's held-out test split; one JSON line with both and the delta.

Seeds: scene i of a dataset with seed S is simulated from deriveSeed(S, "scene-i") (src/sim/random.ts,
ported below and checked against every scene of the dataset). The fine-tune dataset's seed (--seed,
default 1000) must differ from the base's training data seed (shipped models: 1), and its scene seeds must
not meet any of the base's training scenes (checked, along the chain of earlier fine-tunings); the
held-out test split is a disjoint set of scenes of the same dataset. Every step is resumable: a finished
dataset and training run are reused (delete them to redo).
"""

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_MODELS = os.path.join(ROOT, "models")
FINETUNE_SEED = 1000

BUDGETS = {
    # 300 training scenes of the cell, 2400 images (300 steps of 8) at a quarter of the base learning rate.
    "full": {"scenes": 400, "split": "75/0/25", "samples": 2400, "lr": 5e-4},
    # Smoke size (a jest test fine-tunes a tiny base with it): 12 training scenes, 8 held out, 20 steps; the
    # base's own peak rate, as a quick base is far from converged.
    "quick": {"scenes": 20, "split": "60/0/40", "samples": 160, "lr": 2e-3},
}
EVAL_COMMAND = {"perception": "perception", "segmentation": "segmentation"}
# Not task metrics: the delta leaves them out.
NOT_COMPARED = {"images", "params", "gflops", "size_bytes", "threads", "latency_ms_p50", "latency_ms_p90",
                "occlusion_matched", "occlusion_positives"}


class FinetuneError(SystemExit):
    """One readable line, naming the file at fault."""

    def __init__(self, message):
        super().__init__(f"finetune: {message}")


def mix32(x):
    x = ((x ^ (x >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    x = ((x ^ (x >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return x ^ (x >> 16)


def derive_seed(seed, label):
    """src/sim/random.ts deriveSeed, bit for bit."""
    h = mix32((seed & 0xFFFFFFFF) ^ 0x9E3779B9)
    for ch in str(label):
        h = mix32(h ^ ord(ch))
    return h


def scene_seed(dataset_seed, index):
    """The simulator seed of scene `index` of a dataset written with --seed dataset_seed (src/dataset/writer.ts)."""
    return derive_seed(dataset_seed, f"scene-{index}") & 0x7FFFFFFF


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_base(path):
    """The base model's manifest and its checkpoint path; one line naming the file when it cannot be fine-tuned."""
    try:
        with open(path) as f:
            m = json.load(f)
    except FileNotFoundError:
        raise FinetuneError(f"{path}: model manifest not found")
    except (OSError, ValueError) as e:
        raise FinetuneError(f"{path}: not a JSON model manifest ({e})")
    if not isinstance(m, dict) or "task" not in m or "name" not in m:
        raise FinetuneError(f"{path}: not a model manifest (no name or task)")
    if m["task"] not in EVAL_COMMAND:
        raise FinetuneError(f"{path}: a {m['task']} model; fine-tuning is for perception and segmentation models")
    if m.get("precision") != "fp32":
        source = (m.get("quantization") or {}).get("from", "its fp32 model")
        raise FinetuneError(f"{path}: an {m.get('precision')} model; fine-tune its fp32 source ({source}) and quantize "
                            "the result (training/pipeline.py quantize_model)")
    ckpt = (m.get("training") or {}).get("checkpoint")
    if not ckpt:
        raise FinetuneError(f"{path}: no training.checkpoint (the torch weights fine-tuning starts from); models "
                            "exported before it existed, every input contract v1 model among them, cannot be "
                            "fine-tuned: re-export the model's final.pt with training/export.py, which writes "
                            f"{m['name']}.pt beside the manifest")
    ckpt_path = os.path.join(os.path.dirname(os.path.abspath(path)), ckpt["file"])
    if not os.path.exists(ckpt_path):
        raise FinetuneError(f"{path}: checkpoint {ckpt_path} not found (training.checkpoint.file)")
    if os.path.getsize(ckpt_path) != ckpt["file_bytes"] or file_sha256(ckpt_path) != ckpt["sha256"]:
        raise FinetuneError(f"{path}: checkpoint {ckpt_path} does not match the manifest's size and sha256 "
                            "(corrupt or replaced)")
    contract = (m.get("input") or {}).get("contract")
    if m.get("format_version") != 2 or not contract:
        raise FinetuneError(f"{path}: an input contract v1 model; fine-tuning renders the cell at its camera and "
                            "encodes it with input contract v2 (retrain on contract v2: docs/models.md)")
    return m, ckpt_path


def cell_name(cell_file):
    """The cell's `name` (its file name without .yaml when it has none), as a file-name-safe token."""
    try:
        import yaml
        with open(cell_file) as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        raise FinetuneError(f"{cell_file}: cell file not found")
    except Exception as e:  # a bad cell is reported by the simulator's own loader when the data is written
        doc = None
        print(f"finetune: {cell_file}: {e}", file=sys.stderr)
    name = doc.get("name") if isinstance(doc, dict) and isinstance(doc.get("name"), str) else None
    name = name or os.path.splitext(os.path.basename(cell_file))[0]
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def base_training_seeds(m):
    """(dataset seed, scenes) of every dataset the base was trained on, earlier fine-tunings included."""
    out, t = [], m.get("training") or {}
    while t:
        if "dataset_seed" in t:
            out.append((int(t["dataset_seed"]), int(t.get("dataset_scenes", 0))))
        t = (t.get("init") or {}).get("training")
    return out


def split_seeds(data, split):
    """The simulator seeds of a split's scenes, checked against deriveSeed (the port above)."""
    with open(os.path.join(data, "dataset.json")) as f:
        s = json.load(f)["seed"]
    with open(os.path.join(data, split, "annotations.json")) as f:
        images = json.load(f)["images"]
    seeds = set()
    for im in images:
        index = int(im["scene"].rsplit("_", 1)[1])  # <split>/scene_NNNNN: the scene's index in the dataset
        if scene_seed(s, index) != im["seed"]:
            raise FinetuneError(f"{data}: {im['scene']} has seed {im['seed']}, deriveSeed gives "
                                f"{scene_seed(s, index)} (finetune.derive_seed is out of date)")
        seeds.add(im["seed"])
    return seeds


def check_seeds(data, base, ft_seed):
    """Fine-tune training and test scenes: disjoint from each other and from every scene the base trained on."""
    train, test = split_seeds(data, "train"), split_seeds(data, "test")
    if not train or not test:
        raise FinetuneError(f"{data}: needs training and test scenes (--scenes, --split)")
    if train & test:
        raise FinetuneError(f"{data}: {len(train & test)} scenes are in both the training and the test split")
    for seed, scenes in base_training_seeds(base):
        if seed == ft_seed:
            raise FinetuneError(f"--seed {ft_seed} is the base model's training data seed; choose another")
        used = {scene_seed(seed, i) for i in range(scenes)}
        if used & (train | test):
            raise FinetuneError(f"--seed {ft_seed}: {len(used & (train | test))} scenes coincide with the base's "
                                f"training scenes (seed {seed}); choose another")
    return {"dataset_seed": ft_seed, "train_scenes": len(train), "test_scenes": len(test),
            "base_training": [{"dataset_seed": s, "scenes": n} for s, n in base_training_seeds(base)]}


def data_step(args, b, cell, name):
    from pipeline import CLI, run
    data = os.path.join(args.work, f"data_{name}")
    manifest = os.path.join(data, "dataset.json")
    if os.path.exists(manifest):
        with open(manifest) as f:
            m = json.load(f)
        if (m["scenes"], m["seed"], (m.get("cell") or {}).get("name")) == (b["scenes"], args.seed, cell):
            return data
        raise FinetuneError(f"{data} holds another dataset ({m['scenes']} scenes, seed {m['seed']}, cell "
                            f"{(m.get('cell') or {}).get('name')}); remove it or choose another --work")
    cw, ch = (int(v) for v in args.camera.split("x"))
    run(CLI + ["dataset", "--out", data, "--scenes", str(b["scenes"]), "--seed", str(args.seed), "--split", b["split"],
               "--cell", args.cell, "--width", str(cw), "--height", str(ch), "--workers", str(args.threads)],
        stdout=subprocess.DEVNULL)
    return data


def train_step(args, b, base, ckpt_path, data, out):
    from pipeline import run
    final = os.path.join(out, "final.pt")
    if os.path.exists(final):
        import torch
        t = torch.load(final, map_location="cpu")["training"]
        if (t.get("init") or {}).get("sha256") == base["training"]["checkpoint"]["sha256"] and t["samples"] == b["samples"]:
            return final
        raise FinetuneError(f"{final} is another training run (other base or budget); remove {out} or choose another --work")
    w, h = base["input"]["shape"][3], base["input"]["shape"][2]
    run([sys.executable, os.path.join(ROOT, "training", "train.py"), "--arch", base["architecture"], "--data", data,
         "--input", f"{w}x{h}", "--init", ckpt_path, "--samples", str(b["samples"]), "--lr", str(b["lr"]),
         "--threads", str(args.threads), "--device", args.device, "--out", out, "--resume"],
        stdout=subprocess.DEVNULL)
    return final


def evaluate(args, task, manifest, data):
    from pipeline import CLI, run
    cmd = CLI + ["eval", EVAL_COMMAND[task], "--model", manifest, "--data", data, "--json", "--threads", str(args.threads)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    return json.loads(run(cmd, stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])


class Clock:
    """Wall and CPU seconds (this process and its children: the CLI, train.py) of each step: on a shared
    machine the CPU time says what an idle one would take."""

    def __init__(self):
        self.t = self.now()

    @staticmethod
    def now():
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.time(), own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def lap(self, times, step):
        t = self.now()
        times[f"{step}_s"], times[f"{step}_cpu_s"] = round(t[0] - self.t[0], 1), round(t[1] - self.t[1], 1)
        self.t = t


def delta(base, tuned):
    return {k: tuned[k] - base[k] for k in tuned
            if k not in NOT_COMPARED and isinstance(tuned.get(k), (int, float)) and isinstance(base.get(k), (int, float))
            and not isinstance(tuned[k], bool)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", required=True, help="the cell file (cells/*.yaml, docs/cells.md)")
    p.add_argument("--from", dest="base", required=True, help="the model to start from, e.g. models/fast_graspnext.json")
    p.add_argument("--budget", choices=sorted(BUDGETS), default="full")
    p.add_argument("--models", default=os.path.join(ROOT, "out", "finetune", "models"),
                   help="where <name>_<cell>.{onnx,json,pt} go (not the repository's models/)")
    p.add_argument("--work", default=None, help="data and training run (default out/finetune/<name>_<cell>)")
    p.add_argument("--name", default=None, help="the fine-tuned model's name (default <name>_<cell>)")
    p.add_argument("--seed", type=int, default=FINETUNE_SEED, help="the cell dataset's seed (not the base's)")
    p.add_argument("--scenes", type=int, default=None, help="scenes of the cell (default: the budget's)")
    p.add_argument("--samples", type=int, default=None, help="training images (default: the budget's)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the budget's)")
    p.add_argument("--camera", default="640x480", help="camera WIDTHxHEIGHT for a cell that fixes none")
    p.add_argument("--limit", type=int, default=None, help="evaluate the first N test scenes only")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    started, load = time.time(), os.getloadavg()[0]
    base, ckpt_path = load_base(args.base)
    if not os.path.exists(args.cell):
        raise FinetuneError(f"{args.cell}: cell file not found")
    cell = cell_name(args.cell)
    name = args.name or f"{base['name']}_{cell}"
    if os.path.realpath(args.models) == os.path.realpath(SHIPPED_MODELS):
        raise FinetuneError(f"--models {args.models} is the shipped models' directory; write elsewhere")
    if os.path.realpath(os.path.join(args.models, f"{name}.json")) == os.path.realpath(args.base):
        raise FinetuneError(f"{args.base}: the fine-tuned model would overwrite its base; choose another --name")
    args.work = args.work or os.path.join(ROOT, "out", "finetune", name)
    b = dict(BUDGETS[args.budget])
    for k in ("scenes", "samples", "lr"):
        if getattr(args, k):
            b[k] = getattr(args, k)
    if args.seed in {s for s, _ in base_training_seeds(base)}:
        raise FinetuneError(f"--seed {args.seed} is the base model's training data seed; choose another")
    times, clock = {}, Clock()
    data = data_step(args, b, cell, cell)
    seeds = check_seeds(data, base, args.seed)
    clock.lap(times, "data")
    final = train_step(args, b, base, ckpt_path, data, os.path.join(args.work, "runs", name))
    clock.lap(times, "train")
    import export as export_mod
    m = export_mod.export(final, name, args.models)
    tuned_path = os.path.join(args.models, f"{name}.json")
    clock.lap(times, "export")
    base_metrics = evaluate(args, base["task"], args.base, data)
    tuned_metrics = evaluate(args, base["task"], tuned_path, data)
    clock.lap(times, "eval")
    d = delta(base_metrics, tuned_metrics)
    finetune = {"from": base["name"], "from_sha256": base["sha256"], "cell": cell,
                "cell_file": os.path.basename(args.cell), "budget": args.budget, "samples": b["samples"], "lr": b["lr"],
                "seeds": seeds}
    m["description"] += f", fine-tuned for the cell {cell} from {base['name']}"
    m["training"]["finetune"] = finetune
    m["metrics"] = {**tuned_metrics, "data": data, "measured": time.strftime("%Y-%m-%d"),
                    "base": base_metrics, "delta": d}
    export_mod.write_manifest(m, tuned_path)
    print(json.dumps({"model": tuned_path, "from": args.base, "cell": cell, "data": data, "split": "test",
                      "budget": args.budget, "samples": b["samples"], "lr": b["lr"], "seeds": seeds,
                      "base": base_metrics, "finetuned": tuned_metrics, "delta": d, **times,
                      "wall_s": round(time.time() - started, 1),
                      "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
