"""One command for the hardware-aware search: data -> supernet -> latency dataset -> surrogates -> NSGA-II.

    npm run nas -- --budget quick --work /tmp/nas       # every step on a tiny budget (a jest test runs it)
    npm run nas -- --budget full                        # the search of docs/nas.md (hours on 2 cores: resumable)

Steps (each skipped when its output exists, supernet training resumes from its checkpoint):
1. data: `grasp-perception dataset` at the budget's camera (contract v2: encoded at each input size of the
   space by the runtime's encoder when the supernet loads it);
2. supernet: nas/train_supernet.py (sandwich rule, mutual decoupled distillation);
3. latency: `grasp-perception nas latency` on this machine (random subnets, fp32 [+ int8]);
4. surrogates: nas/surrogates.py (MLP, CART, RBF, GP; FLOPs beside them; choice by cross-validated tau);
5. search: nas/search.py (NSGA-II on validation loss x predicted latency, and on validation loss x FLOPs);
6. proxy check: nas/proxy_check.py (the validation loss against the runtime's task metrics on N subnets);
7. ship: nas/ship.py (the front timed on this machine beside the MobileNet baseline; three points for 1/2,
   1/2.5, 1/3.3 of the baseline's measured latency, fine-tuned, exported with int8 versions and timed; into
   models/ for the full budget, WORK/models for quick).
Prints one JSON summary line.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

NAS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(NAS))
CLI = [shutil.which("node") or "node", os.path.join(ROOT, "bin", "grasp-perception.js")]
PY = sys.executable

BUDGETS = {
    "full": {"space": "default.json", "scenes": 2400, "split": "80/5/15", "camera": "640x480", "samples": 19200,
             "batch": 8, "latency_samples": 100, "int8": True, "warmup": 10, "runs": 50, "population": 32,
             "generations": 12, "calib_batches": 4, "max_val": 16, "proxy_subnets": 20, "ship_samples": 19200,
             "calibration_images": 64},
    "quick": {"space": "quick.json", "scenes": 8, "split": "50/25/25", "camera": "128x96", "samples": 4,
              "batch": 2, "latency_samples": 10, "int8": False, "warmup": 1, "runs": 3, "population": 4,
              "generations": 1, "calib_batches": 1, "max_val": 2, "proxy_subnets": 3, "ship_samples": 4,
             "calibration_images": 2},
}
DATA_SEED = 11  # the dataset seeds of docs/nas.md (disjoint from the perception pipeline's 1)


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


# What a finished search and proxy check leave that later steps read: kept beside the committed scores so a
# fresh machine goes on from the proxy check or from shipping (their ONNX subnets are not kept: megabytes).
SEARCH_OUTPUTS = ("search.json", "pareto.png", "proxy_check.json")


def restore(kept, work_dir, names):
    """Copy kept files into WORK where WORK lacks them (a fresh machine, the committed checkpoint)."""
    for name in names if kept else ():
        src, dst = os.path.join(kept, name), os.path.join(work_dir, name)
        if os.path.exists(src) and not os.path.exists(dst):
            os.makedirs(work_dir, exist_ok=True)
            shutil.copyfile(src, dst)
            print(f"pipeline.py: {name} of {kept}", file=sys.stderr)


def keep(work_dir, kept, names):
    for name in names if kept else ():
        if os.path.exists(os.path.join(work_dir, name)):
            os.makedirs(kept, exist_ok=True)
            shutil.copyfile(os.path.join(work_dir, name), os.path.join(kept, name))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", choices=sorted(BUDGETS), default="quick")
    p.add_argument("--work", default=os.path.join(ROOT, "out", "nas"))
    p.add_argument("--data", action="append", default=None, help="existing contract v2 datasets instead of step 1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--latency", default=None, help="an existing `nas latency` dataset of this machine instead of "
                                                    "step 3 (e.g. training/nas/measured/amd-epyc-2c/latency.jsonl)")
    p.add_argument("--checkpoints", default=None,
                   help="committed checkpoints to start from and keep: DIR/nas_supernet/supernet.pt is used when WORK "
                        "has no supernet, DIR/nas_search/ keeps a copy of the search's scores (default for the full "
                        "budget: training/checkpoints)")
    p.add_argument("--models", default=None, help="where the shipped front points go (default: models/ for full, "
                                                   "WORK/models for quick)")
    a = p.parse_args(argv)
    b = BUDGETS[a.budget]
    started = time.time()
    os.makedirs(a.work, exist_ok=True)
    space = os.path.join(NAS, "spaces", b["space"])
    datas = a.data
    if not datas:
        data = os.path.join(a.work, "data")
        if not os.path.exists(os.path.join(data, "dataset.json")):
            w, h = b["camera"].split("x")
            run(CLI + ["dataset", "--out", data, "--scenes", str(b["scenes"]), "--seed", str(DATA_SEED),
                       "--split", b["split"], "--width", w, "--height", h])
        datas = [data]
    sup_dir = os.path.join(a.work, "supernet")
    supernet = os.path.join(sup_dir, "supernet.pt")
    checkpoints = a.checkpoints or (os.path.join(ROOT, "training", "checkpoints") if a.budget == "full" else None)
    committed = os.path.join(checkpoints, "nas_supernet", "supernet.pt") if checkpoints else None
    if not os.path.exists(supernet) and committed and os.path.exists(committed):
        print(f"pipeline.py: the supernet of {committed}", file=sys.stderr)
        os.makedirs(sup_dir, exist_ok=True)
        shutil.copyfile(committed, supernet)
    if not os.path.exists(supernet):
        run([PY, os.path.join(NAS, "train_supernet.py"), "--space", space, "--out", sup_dir, "--samples",
             str(b["samples"]), "--batch", str(b["batch"]), "--threads", str(a.threads), "--resume",
             *[x for d in datas for x in ("--data", d)]], stdout=subprocess.DEVNULL)
    latency = a.latency or os.path.join(a.work, "latency.jsonl")
    if not os.path.exists(latency):
        run(CLI + ["nas", "latency", "--space", space, "--samples", str(b["latency_samples"]), "--out", latency,
                   "--warmup", str(b["warmup"]), "--runs", str(b["runs"]), *([] if b["int8"] else ["--no-int8"])],
            stdout=subprocess.DEVNULL)
    search_dir = os.path.join(a.work, "search")
    kept = os.path.join(checkpoints, "nas_search") if checkpoints else None
    restore(kept, search_dir, SEARCH_OUTPUTS)
    run([PY, os.path.join(NAS, "surrogates.py"), "--latency", latency, "--space", space, "--out", search_dir],
        stdout=subprocess.DEVNULL)
    if b["int8"]:  # the int8 table beside it (the search itself ranks fp32 latency)
        run([PY, os.path.join(NAS, "surrogates.py"), "--latency", latency, "--space", space, "--precision", "int8",
             "--out", os.path.join(search_dir, "int8")], stdout=subprocess.DEVNULL)
    data_args = [x for d in datas for x in ("--data", d)]
    if not os.path.exists(os.path.join(search_dir, "search.json")):
        run([PY, os.path.join(NAS, "search.py"), "--supernet", supernet, "--latency", latency, "--out", search_dir,
             "--population", str(b["population"]), "--generations", str(b["generations"]),
             "--calib-batches", str(b["calib_batches"]), "--threads", str(a.threads),
             *(["--checkpoint", kept] if kept else []),
             *(["--max-val", str(b["max_val"])] if b["max_val"] else []), *data_args], stdout=subprocess.DEVNULL)
        keep(search_dir, kept, SEARCH_OUTPUTS)
    proxy_file = os.path.join(search_dir, "proxy_check.json")
    if not os.path.exists(proxy_file):
        run([PY, os.path.join(NAS, "proxy_check.py"), "--supernet", supernet, "--search",
             os.path.join(search_dir, "search.json"), "--subnets", str(b["proxy_subnets"]), "--out", search_dir,
             "--calib-batches", str(b["calib_batches"]), "--threads", str(a.threads),
             *(["--max-val", str(b["max_val"])] if b["max_val"] else []), *data_args], stdout=subprocess.DEVNULL)
        keep(search_dir, kept, SEARCH_OUTPUTS)
    models = a.models or (os.path.join(ROOT, "models") if a.budget == "full" else os.path.join(a.work, "models"))
    if checkpoints:  # fine-tunes kept from an interrupted ship step (train_supernet.py resumes them)
        ship_kept = os.path.join(checkpoints, "nas_ship")
        restore(ship_kept, os.path.join(a.work, "ship"), ("front_timing.json",))
        for arch_dir in sorted(os.listdir(ship_kept)) if os.path.isdir(ship_kept) else []:
            if not os.path.isdir(os.path.join(ship_kept, arch_dir)):
                continue
            restore(os.path.join(ship_kept, arch_dir), os.path.join(a.work, "ship", arch_dir),
                    ("arch.json", "checkpoint.pt", "train_log.jsonl", "final.pt"))
    shipped = run([PY, os.path.join(NAS, "ship.py"), "--work", a.work, "--models", models, "--samples",
                   str(b["ship_samples"]), "--batch", str(b["batch"]), "--calibration-images",
                   str(b["calibration_images"]), "--warmup", str(b["warmup"]), "--runs", str(b["runs"]),
                   "--threads", str(a.threads), *data_args], stdout=subprocess.PIPE, text=True)
    ship = json.loads(shipped.stdout.strip().splitlines()[-1])
    if checkpoints:
        keep(os.path.join(a.work, "ship"), os.path.join(checkpoints, "nas_ship"), ("front_timing.json",))
    with open(proxy_file) as f:
        proxy = json.load(f)
    with open(os.path.join(search_dir, "surrogates.json")) as f:
        sur = json.load(f)
    with open(os.path.join(search_dir, "search.json")) as f:
        search = json.load(f)
    summary = {"budget": a.budget, "work": a.work, "space": space, "supernet": supernet, "latency": latency,
               "surrogate": sur["choice"],
               "kendall_tau": {k: round(v["kendall_tau"], 3) for k, v in sur["table"].items()},
               "pareto_png": os.path.join(search_dir, "pareto.png"),
               "sample_efficiency_png": os.path.join(search_dir, "sample_efficiency.png"),
               "front": [{"name": q["name"], "score": q["score"], "predicted_latency_ms": q["predicted_latency_ms"]}
                         for q in search["latency"]["front"]],
               "proxy_kendall": {k: v["kendall"] for k, v in proxy["correlation"].items()},
               "front_latency_kendall_tau": ship["front_latency_kendall_tau"],
               "shipped": ship["shipped"], "reference": ship["reference"], "models": ship["models"],
               "wall_s": round(time.time() - started, 1)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
