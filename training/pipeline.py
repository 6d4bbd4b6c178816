"""One command from a fresh clone to shipped models: data -> encode -> train -> export -> int8 -> evaluate.

    /usr/bin/python3 training/pipeline.py --budget full     # the shipped models/ (see models/RESULTS.md; FULL_V2)
    /usr/bin/python3 training/pipeline.py --budget quick --work /tmp/q --models /tmp/q/models   # < 15 min, used by a test
    /usr/bin/python3 training/pipeline.py --budget full --contract 1 --archs resnet_graspnext efficientnet_graspnext  # v1
    /usr/bin/python3 training/pipeline.py --finetune --cell my_cell.yaml --from models/fast_graspnext.json
        # fine-tune a model for a cell and compare it with the base there (training/finetune.py)

Input contract v2 (`--contract 2`, the default for new runs): datasets are written at camera resolution (a
cell's own camera, or --camera WxH without cells), encoded by the runtime's contract code
(`grasp-perception encode`) at --input, and the networks trained on that. `--contract 1` is the original
pipeline (data rendered at the 160x128 input size, depth in metres) that made every shipped v1 model.

Every step is resumable: a finished step is skipped when its output exists (delete it to redo), and
training resumes from its checkpoint. Needs `npm run build` (the simulator, calibration and evaluation
run in the TypeScript package) and Debian's python3-torch/torchvision/onnx (scripts/setup.sh).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import export as export_mod
import quantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = [shutil.which("node") or "node", os.path.join(ROOT, "bin", "grasp-perception.js")]

PERCEPTION = ["fast_graspnext", "mobilenet_graspnext", "efficientnet_graspnext", "resnet_graspnext"]
SEGMENTATION = ["attendseg", "lraspp"]
INT8 = ["fast_graspnext", "attendseg", "resnet_graspnext"]

BUDGETS = {
    # The budget that produced models/: 2400 scenes at 160x128, 9600 training images per network.
    "full": {"scenes": 2400, "split": "80/5/15", "samples": 9600, "calibration_images": 128, "eval_limit": None,
             "camera": "640x480"},
    # A smoke-sized run of every step (a test runs it end to end); contract 2 renders a 320x240 camera (4:3).
    "quick": {"scenes": 40, "split": "70/0/30", "samples": 64, "calibration_images": 8, "eval_limit": 6,
              "camera": "320x240"},
}
# The full budget under input contract 2 (what made the shipped contract-2 models; models/RESULTS.md): the
# shipped cells, 800 scenes each at the cell's camera, 19200 training images per network (twice v1's: on the
# default cell's validation split it raised fast_graspnext's box AP from 42.9 to 52.0; docs/models.md).
FULL_V2 = {"cells": ["cells/default.yaml", "cells/domain_randomized.yaml", "cells/arc_tote_sr300.yaml",
                     "cells/black_bin_phoxi.yaml", "cells/tabletop_d435.yaml"],
           "scenes": 800, "samples": 19200,
           "archs": ["fast_graspnext", "attendseg", "mobilenet_graspnext", "lraspp"]}
WIDTH, HEIGHT, DATA_SEED = 160, 128, 1
# Input contract v2's network input (4:3; the choice and its measurements: docs/models.md#input-contract)
# and the camera of the datasets written without a cell.
INPUT_V2 = "192x144"


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def data_step(work, b, name="data", width=WIDTH, height=HEIGHT, cell=None):
    data = os.path.join(work, name)
    manifest = os.path.join(data, "dataset.json")
    if os.path.exists(manifest):
        with open(manifest) as f:
            m = json.load(f)
        if (m["scenes"], m["seed"]) == (b["scenes"], DATA_SEED) and (cell or (m["width"], m["height"]) == (width, height)):
            return data
        raise SystemExit(f"pipeline.py: {data} holds another dataset ({m['scenes']} scenes, {m['width']}x{m['height']}, "
                         f"seed {m['seed']}); remove it or choose another --work")
    cmd = CLI + ["dataset", "--out", data, "--scenes", str(b["scenes"]), "--seed", str(DATA_SEED), "--split", b["split"],
                 "--width", str(width), "--height", str(height)]
    if cell:
        cmd += ["--cell", cell]
    run(cmd)
    return data


def encode_step(data, size):
    """Input contract v2: the runtime encodes the dataset (training_data.ensure_encoded skips a finished one)."""
    import training_data
    w, h = (int(v) for v in size.split("x"))
    training_data.ensure_encoded(data, w, h)


def train_step(arch, data, work, b, threads, device, size=None):
    out = os.path.join(work, "runs", arch)
    final = os.path.join(out, "final.pt")
    if not os.path.exists(final):
        datas = data if isinstance(data, list) else [data]
        run([sys.executable, os.path.join(ROOT, "training", "train.py"), "--arch", arch, "--out", out,
             *[a for d in datas for a in ("--data", d)], *(["--input", size] if size else []),
             "--samples", str(b["samples"]), "--threads", str(threads), "--device", device, "--resume"])
    return final


def int8_step(name, models, data, work, b):
    quantize_model(os.path.join(models, f"{name}.json"), os.path.join(models, f"{name}.onnx"), f"{name}_int8", models,
                   work, ["--data", data, "--images", str(b["calibration_images"])],
                   f"min-max over {b['calibration_images']} training scenes")


def quantize_model(fp32_manifest, fp32_onnx, int8_name, models, work, calibration_args, calibration_text,
                   method="static post-training, QDQ (onnxruntime U8S8)"):
    """fp32 ONNX -> int8 QDQ ONNX + manifest: quantize.py prepare, calibration in onnxruntime-node, finalize.
    The manifest is the fp32 one with the file, precision and quantization fields replaced."""
    qdir = os.path.join(work, "int8")
    os.makedirs(qdir, exist_ok=True)
    calib, tensors, ranges = (os.path.join(qdir, f"{int8_name}.{s}") for s in ("calib.onnx", "tensors.json", "ranges.json"))
    quantize.prepare(fp32_onnx, calib, tensors)
    run(CLI + ["calibrate", "--model", fp32_manifest, "--onnx", calib, "--tensors", tensors, "--out", ranges]
        + calibration_args)
    int8_onnx = os.path.join(models, f"{int8_name}.onnx")
    convs = quantize.finalize(fp32_onnx, ranges, int8_onnx)
    with open(fp32_manifest) as f:
        m = json.load(f)
    m.update({
        "name": int8_name, "model_file": os.path.basename(int8_onnx), "file_bytes": os.path.getsize(int8_onnx),
        "sha256": export_mod.sha256(int8_onnx), "precision": "int8", "weights_storage": "int8", "metrics": {},
        "quantization": {"method": method,
                         "weights": "int8 symmetric per output channel", "activations": "uint8 asymmetric per tensor",
                         "calibration": calibration_text,
                         "quantized_convs": convs, "from": os.path.basename(fp32_onnx)},
    })
    m["description"] += " (int8)"
    export_mod.write_manifest(m, os.path.join(models, f"{int8_name}.json"))
    return m


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--finetune" in argv:  # fine-tune a model for a cell: training/finetune.py (docs/models.md)
        import finetune
        return finetune.main([a for a in argv if a != "--finetune"])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--finetune", action="store_true",
                   help="fine-tune --from MODEL.json for --cell CELL.yaml (training/finetune.py --help)")
    p.add_argument("--budget", choices=sorted(BUDGETS), default="full")
    p.add_argument("--work", default=os.path.join(ROOT, "out", "pipeline"), help="data, runs and int8 files")
    p.add_argument("--models", default=None, help="where manifests and .onnx go (default: models/ for full, WORK/models for quick)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cuda on a GPU machine (torch 2.x)")
    p.add_argument("--skip-results", action="store_true")
    p.add_argument("--contract", type=int, choices=(1, 2), default=2, help="input contract (docs/models.md)")
    p.add_argument("--input", default=INPUT_V2, help="contract 2: network input WIDTHxHEIGHT")
    p.add_argument("--camera", default=None,
                   help="contract 2 without --cells: the dataset's camera WIDTHxHEIGHT (default: the budget's)")
    p.add_argument("--cells", nargs="*", default=[],
                   help="contract 2: one dataset per cell file; the first cell's held-out split is what RESULTS.md reports")
    p.add_argument("--archs", nargs="*", default=None, help="train only these (default: every perception and segmentation model)")
    p.add_argument("--scenes", type=int, default=None, help="scenes per dataset (default: the budget's)")
    p.add_argument("--samples", type=int, default=None, help="training images per network (default: the budget's)")
    args = p.parse_args(argv)
    b = dict(BUDGETS[args.budget])
    if args.budget == "full" and args.contract == 2:
        b.update(scenes=FULL_V2["scenes"], samples=FULL_V2["samples"])
        args.cells = args.cells or [os.path.join(ROOT, c) for c in FULL_V2["cells"]]
        args.archs = args.archs or FULL_V2["archs"]
    if args.scenes:
        b["scenes"] = args.scenes
    if args.samples:
        b["samples"] = args.samples
    models = args.models or (os.path.join(ROOT, "models") if args.budget == "full" else os.path.join(args.work, "models"))
    os.makedirs(models, exist_ok=True)
    started = time.time()
    size = None
    if args.contract == 1:
        data = data_step(args.work, b)
        datas = [data]
    else:
        size = args.input
        # A cell that fixes its camera renders at that camera; the others (and no cell) at --camera.
        cw, ch = (int(v) for v in (args.camera or b["camera"]).split("x"))
        if args.cells:
            datas = [data_step(args.work, b, "data_" + os.path.splitext(os.path.basename(c))[0], cw, ch, cell=c)
                     for c in args.cells]
        else:
            datas = [data_step(args.work, b, f"data_{cw}x{ch}", cw, ch)]
        # One encoder process per dataset, --threads at a time (each is single-threaded Node).
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=max(1, args.threads)) as pool:
            list(pool.map(lambda d: encode_step(d, size), datas))
        data = datas[0]
    archs = args.archs or PERCEPTION + SEGMENTATION
    for arch in archs:
        final = train_step(arch, datas, args.work, b, args.threads, args.device, size)
        export_mod.export(final, arch, models)
    # Contract 2 ships an int8 version of every network it trains (issue 15); v1 shipped three.
    for name in (archs if args.contract == 2 else INT8):
        if name in archs:
            int8_step(name, models, data, args.work, b)
    summary = {"budget": args.budget, "models": models, "data": data}
    if not args.skip_results:
        cmd = CLI + ["results", "--models", models, "--data", data, "--threads", str(args.threads)]
        if len(datas) > 1:  # the other cells' held-out splits, pooled beside the first (default) cell's
            cmd += ["--pooled", *datas[1:]]
        if b["eval_limit"]:
            cmd += ["--limit", str(b["eval_limit"])]
        if os.path.abspath(models) == os.path.join(ROOT, "models"):  # the shipped models: README's tables too
            cmd += ["--readme", os.path.join(ROOT, "README.md")]
        # The metrics RESULTS.md shows, as `results` printed them (one JSON line).
        out = run(cmd, stdout=subprocess.PIPE, text=True).stdout
        summary["results"] = json.loads(out.strip().splitlines()[-1])
        summary["eval_limit"] = b["eval_limit"]
    summary["wall_s"] = round(time.time() - started, 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
