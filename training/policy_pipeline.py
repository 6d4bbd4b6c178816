"""One command for the push-and-grasp policies: Q-learning -> fp32 export -> PTQ int8 -> QAT int8 -> evaluation.

    /usr/bin/python3 training/policy_pipeline.py --budget full     # the shipped models/policy_* (models/RESULTS.md)
    /usr/bin/python3 training/policy_pipeline.py --budget quick --work /tmp/p --models /tmp/p/models   # smoke run
    /usr/bin/python3 training/policy_pipeline.py --recipe cells --work /work/data/policy-v2 \
        --models /work/data/policy-v2/models --suction-model /work/data/policy-v2/fast_graspnext.json
                          # issue 17: footprint heightmaps, randomised cells and cameras (docs/policy.md)

Every step is resumable (training from its checkpoint; a finished step is skipped when its output exists).
The cells recipe also keeps a replay-less checkpoint in the repository (CHECKPOINTS below), so a run that
lost its work directory resumes there (with an empty replay buffer).
Needs `npm run build` (simulator, calibration and evaluation are the TypeScript package's).
Shipped: policy_reduced (fp32), policy_reduced_ptq and policy_reduced_qat (int8 QDQ). policy_full is
exported untrained to WORK/full for its latency and compute only (its training does not fit a CPU budget).
"""

import argparse
import json
import os
import subprocess
import sys
import time

from pipeline import CLI, quantize_model, run
from policy_export import export_policy, load_trained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))

# Recipes. 'default-bin': the shipped models/policy_* (point_max heightmaps, 10-object clutter in the
# default bin at 320x240). 'cells': issue 17 -- the camera-independent footprint heightmap, episodes
# drawn across the shipped cells with randomised camera resolutions, the grid following each scene's
# workspace, and a penalty for objects lost over the rim.
RECIPES = {
    "default-bin": [],
    "cells": ["--heightmap", "footprint",
              "--cells", "default:0.4,cells/domain_randomized.yaml:0.3,cells/arc_tote_sr300.yaml:0.1,"
                         "cells/black_bin_phoxi.yaml:0.1,cells/tabletop_d435.yaml:0.1",
              "--resolutions", "320x240,320x240,640x480,640x480,1280x720",
              "--objects", "10,10,20,30", "--lost-penalty", "0.5"],
}
# Replay-less training checkpoints committed to the repository (a few MB), per recipe and channels.
CHECKPOINTS = os.path.join(HERE, "checkpoints")

BUDGETS = {
    # eval_runs None: the protocol's episodes per case (eval policy: random 50, 30 objects 30, adversarial 30 + 30).
    "full": {"steps": 8000, "qat_steps": 600, "calibration_scenes": 64, "eval_runs": None},
    "quick": {"steps": 30, "qat_steps": 10, "calibration_scenes": 4, "eval_runs": 1},
}


def train(work, b, channels, threads, recipe="default-bin", suction=(), light_dir=CHECKPOINTS):
    name = "reduced" if channels == "red,green,blue,height" else "reduced_suction"
    if recipe != "default-bin":
        name += f"_{recipe}"
    out = os.path.join(work, name)
    light = [] if recipe == "default-bin" else ["--light-checkpoint", os.path.join(light_dir, f"policy_{name}.pt")]
    if not os.path.exists(os.path.join(out, "final.pt")):
        run([sys.executable, os.path.join(HERE, "policy_train.py"), "--policy", "policy_reduced", "--out", out,
             "--steps", str(b["steps"]), "--channels", channels, "--threads", str(threads), "--resume",
             "--checkpoint-every", "100" if light else "500", *RECIPES[recipe], *light, *suction])
    return out


def qat(out, b, threads):
    final = os.path.join(out, "final_qat.pt")
    if not os.path.exists(final):
        run([sys.executable, os.path.join(HERE, "policy_train.py"), "--policy", "policy_reduced", "--out", out,
             "--qat", "--steps", str(b["qat_steps"]), "--threads", str(threads)])
    return final


def evaluate(manifest, runs, suction_model=None):
    """`eval policy` on evaluation-range seeds; --record writes the figures into the manifest's metrics.
    suction_model: the perception model for the suction channel when it is not models/fast_graspnext.json."""
    env = {**os.environ, "GRASP_SUCTION_MODEL": suction_model} if suction_model else None
    r = subprocess.run(CLI + ["eval", "policy", "--model", manifest, "--case", "all", "--record", "--json"]
                       + ([] if runs is None else ["--runs", str(runs)]),
                       check=True, stdout=subprocess.PIPE, text=True, env=env)
    return json.loads(r.stdout)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", choices=sorted(BUDGETS), default="full")
    p.add_argument("--work", default=os.path.join(ROOT, "out", "policy"))
    p.add_argument("--models", default=None, help="default: models/ (full) or WORK/models (quick)")
    p.add_argument("--channels", default="red,green,blue,height,suction",
                   help="policy input channels (the shipped models take the suction heatmap; see docs/policy.md)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--recipe", choices=sorted(RECIPES), default="default-bin",
                   help="default-bin: the shipped models' training; cells: issue 17's randomised cells")
    p.add_argument("--suction-model", default=None,
                   help="perception manifest for the suction channel (training, calibration, evaluation) when "
                        "it is not yet models/fast_graspnext.json; the manifests still name models/fast_graspnext.json")
    p.add_argument("--skip-eval", action="store_true")
    p.add_argument("--skip-full", action="store_true",
                   help="do not export the untrained policy_full (needs ~17 GB of memory to count its MACs)")
    a = p.parse_args(argv)
    b = BUDGETS[a.budget]
    models = a.models or (os.path.join(ROOT, "models") if a.budget == "full" else os.path.join(a.work, "models"))
    os.makedirs(models, exist_ok=True)
    started = time.time()

    if a.suction_model:  # calibration (the calibrate CLI) and evaluation read it from the environment
        os.environ["GRASP_SUCTION_MODEL"] = os.path.abspath(a.suction_model)
    suction = ["--suction-model", os.path.abspath(a.suction_model), "--suction-name",
               "models/fast_graspnext.json"] if a.suction_model else []
    # Only the full budget's run keeps its light checkpoint in the repository; a smoke run keeps it in WORK.
    light_dir = CHECKPOINTS if a.budget == "full" else os.path.join(a.work, "light")
    out = train(a.work, b, a.channels, a.threads, a.recipe, suction, light_dir)
    net, spec, arch, training = load_trained(os.path.join(out, "final.pt"))
    export_policy(net, spec, "policy_reduced", models, arch, training)
    fp32 = os.path.join(models, "policy_reduced.json")
    calib = ["--images", str(b["calibration_scenes"])]
    calib_text = f"min-max over {b['calibration_scenes']} simulator scenes (training seeds, 1-10 objects)"
    quantize_model(fp32, os.path.join(models, "policy_reduced.onnx"), "policy_reduced_ptq", models, a.work, calib,
                   calib_text, "static post-training (BN folded), QDQ (onnxruntime U8S8)")

    qnet, qspec, _, qtraining = load_trained(qat(out, b, a.threads))
    qdir = os.path.join(a.work, "qat_fp32")
    export_policy(qnet, qspec, "policy_reduced_qat_fp32", qdir, arch, {**training, "qat": qtraining})
    quantize_model(os.path.join(qdir, "policy_reduced_qat_fp32.json"), os.path.join(qdir, "policy_reduced_qat_fp32.onnx"),
                   "policy_reduced_qat", models, a.work, calib, calib_text,
                   f"quantization-aware training ({b['qat_steps']} fake-quant updates on the replay buffer), QDQ (onnxruntime U8S8)")

    # The untrained policy_full (compute and latency reference): counting its MACs runs it on 16 x 320 x 320,
    # which takes ~17 GB of memory; done once per work directory, and skippable on a shared machine.
    if not a.skip_full and not os.path.exists(os.path.join(a.work, "full", "policy_full.json")):
        import torch
        from policy_models import build_policy
        torch.manual_seed(0)
        full, full_spec = build_policy("policy_full")
        export_policy(full, full_spec, "policy_full", os.path.join(a.work, "full"), "policy_full",
                      {"method": "untrained (random weights): latency and compute only"})

    results = {}
    if not a.skip_eval:
        for name in ("policy_reduced", "policy_reduced_ptq", "policy_reduced_qat"):
            manifest = os.path.join(models, f"{name}.json")
            results[name] = evaluate(manifest, b["eval_runs"], a.suction_model)
    print(json.dumps({"budget": a.budget, "models": models, "wall_s": round(time.time() - started, 1),
                      "results": {k: {m: v.get(m) for m in ("completion", "grasp_success")} for k, v in results.items()}}))


if __name__ == "__main__":
    main()
