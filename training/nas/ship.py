"""Ship three points of the searched front for three latency budgets: fine-tune, export, int8, time.

    /usr/bin/python3 training/nas/ship.py --work out/nas --data DIR [--data DIR2 ...] --models models \
        [--reference models/mobilenet_graspnext.json] [--fractions 0.5,0.4,0.3] [--samples 19200]

1. Every point of the latency search's front (WORK/search/search.json) is exported (random weights: latency
   depends on the graph, not the weights) and timed on this machine side by side with the reference (the
   MobileNet baseline) in one run (`grasp-perception nas time`); the budgets are fractions of the reference's
   p50 in that run: 1/2 (l), 1/2.5 (m: the paper's 2.45x) and 1/3.3 (s) by default (1/4 and 1/8 lie below
   the space's fastest point on a 2-core EPYC: per-operator overhead keeps even 15 M-MAC subnets at 0.3x
   MobileNet). The surrogate's milliseconds are those of the machine the latency dataset was measured on
   (another machine of the same name measured 2.3-3.1x faster): it ranks the search, the target's own timing
   picks what ships. Kept in WORK/ship/front_timing.json (a rerun picks
   the same points) with the Kendall tau of predicted against measured latency over the front.
2. For each budget, the front point with the lowest validation score whose measured p50 fits; when none fits,
   the fastest measured point (the summary says so).
3. Each is fine-tuned from the supernet's shared weights (train_supernet.py --subnet --init, resumable),
   exported as fast_graspnext_nas_<l|m|s> (export_nas.py trained) and quantized to int8 (training/pipeline.py's
   calibration flow, min-max over training scenes).
4. The reference and the six shipped models are timed side by side in one run; each manifest's `nas` gains
   `measured_latency` (this machine's p50/p90/p99, CPU, threads, provider), its budget and the reference's p50.
Task metrics are `grasp-perception results`'s to measure (RESULTS.md Table 1, side by side with the baselines).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/ (before nas/)
import export as export_mod  # noqa: E402
import pipeline as perception_pipeline  # noqa: E402  (training/pipeline.py: CLI, quantize_model)
from scipy.stats import kendalltau  # noqa: E402

from nas.export_nas import export_subnet, export_trained, randomize_batchnorm  # noqa: E402
from nas.supernet import build_subnet  # noqa: E402

NAS = os.path.dirname(os.path.abspath(__file__))
SIZES = ("l", "m", "s")  # largest budget first


def time_models(files, warmup, runs):
    """`grasp-perception nas time`: {resolved file: record}, all measured in one interleaved run."""
    r = subprocess.run(perception_pipeline.CLI + ["nas", "time", *files, "--warmup", str(warmup), "--runs", str(runs)],
                       check=True, stdout=subprocess.PIPE, text=True)
    recs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return {rec["file"]: rec for rec in recs}


def pick(front, budget_ms):
    """The front point with the lowest score whose measured p50 fits the budget, else the fastest measured."""
    fits = [q for q in front if q["measured_p50_ms"] <= budget_ms]
    if fits:
        return min(fits, key=lambda q: (q["score"], q["measured_p50_ms"])), True
    return min(front, key=lambda q: q["measured_p50_ms"]), False


def time_front(front, space, reference, ship_dir, warmup, runs):
    """The front's points and the reference timed side by side on this machine, once (WORK/ship/front_timing.json
    keeps it: a rerun picks the same points). Returns (front with measured_p50_ms, reference record, tau)."""
    path = os.path.join(ship_dir, "front_timing.json")
    names = [q["name"] for q in front]
    if os.path.exists(path):
        with open(path) as f:
            kept = json.load(f)
        if kept["front"] == names:
            print(f"ship.py: front timing of {path}", file=sys.stderr)
            return ([{**q, "measured_p50_ms": kept["measured_p50_ms"][q["name"]]} for q in front],
                    kept["reference"], kept["kendall_tau"])
    export_dir = os.path.join(ship_dir, "front")
    files = []
    for q in front:
        file = os.path.join(export_dir, f"{q['name']}.json")
        if not os.path.exists(file):
            export_subnet(randomize_batchnorm(build_subnet(q["arch"])), q["arch"], space, q["name"], export_dir)
        files.append(os.path.abspath(file))
    timings = time_models([reference, *files], warmup, runs)
    measured = {q["name"]: timings[file]["p50_ms"] for q, file in zip(front, files)}
    tau = kendalltau([q["predicted_latency_ms"] for q in front], [measured[q["name"]] for q in front])[0]
    tau = None if tau != tau else round(float(tau), 3)  # NaN (a one-point front) -> null
    ref = {k: timings[reference][k] for k in ("name", "p50_ms", "p90_ms", "cpu", "cores", "threads", "provider",
                                              "load_avg_1m")}
    os.makedirs(ship_dir, exist_ok=True)
    with open(path, "w") as f:
        json.dump({"front": names, "measured_p50_ms": measured, "reference": ref, "kendall_tau": tau}, f, indent=1)
    return [{**q, "measured_p50_ms": measured[q["name"]]} for q in front], ref, tau


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True, help="the nas pipeline's work directory (supernet/, search/)")
    p.add_argument("--data", required=True, action="append")
    p.add_argument("--models", required=True, help="where the shipped manifests go")
    p.add_argument("--reference", default=os.path.join(perception_pipeline.ROOT, "models", "mobilenet_graspnext.json"))
    p.add_argument("--fractions", default="0.5,0.4,0.3", help="budgets as fractions of the reference's p50 (l,m,s)")
    p.add_argument("--samples", type=int, default=19200, help="fine-tuning images per shipped subnet")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--calibration-images", type=int, default=64)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    started = time.time()
    fractions = [float(f) for f in a.fractions.split(",")]
    if len(fractions) != len(SIZES) or not all(0 < f <= 1 for f in fractions):
        raise SystemExit(f"ship.py: --fractions needs {len(SIZES)} numbers in (0, 1], got {a.fractions!r}")
    supernet = os.path.join(a.work, "supernet", "supernet.pt")
    with open(os.path.join(a.work, "search", "search.json")) as f:
        front = json.load(f)["latency"]["front"]
    if not front:
        raise SystemExit(f"ship.py: {a.work}/search/search.json has an empty latency front")
    reference = os.path.abspath(a.reference)
    ship_dir = os.path.join(a.work, "ship")
    space = torch.load(supernet, map_location="cpu")["space"]
    front, ref, front_tau = time_front(front, space, reference, ship_dir, a.warmup, a.runs)
    shipped, tuned = [], {}
    for size, fraction in zip(SIZES, fractions):
        budget = ref["p50_ms"] * fraction
        point, fits = pick(front, budget)
        name = f"fast_graspnext_nas_{size}"
        # One fine-tune directory per architecture: a resume never continues another architecture's run (a
        # new search may pick another point for the same budget), and two budgets on one point share it.
        out = os.path.join(ship_dir, point["name"])
        os.makedirs(out, exist_ok=True)
        arch_file = os.path.join(out, "arch.json")
        with open(arch_file, "w") as f:
            json.dump({"arch": point["arch"]}, f)
        final = os.path.join(out, "final.pt")
        if point["name"] in tuned:  # two budgets chose the same point: one fine-tune
            final = tuned[point["name"]]
        elif not os.path.exists(final):
            perception_pipeline.run([sys.executable, os.path.join(NAS, "train_supernet.py"), "--subnet", arch_file,
                                     "--init", supernet, "--out", out, "--samples", str(a.samples), "--batch",
                                     str(a.batch), "--threads", str(a.threads), "--resume",
                                     *[x for d in a.data for x in ("--data", d)]], stdout=subprocess.DEVNULL)
        tuned[point["name"]] = final
        export_trained(final, name, a.models)
        perception_pipeline.quantize_model(
            os.path.join(a.models, f"{name}.json"), os.path.join(a.models, f"{name}.onnx"), f"{name}_int8",
            a.models, ship_dir, ["--data", a.data[0], "--images", str(a.calibration_images)],
            f"min-max over {a.calibration_images} training scenes")
        shipped.append({"name": name, "fraction": fraction, "budget_ms": round(budget, 3), "fits": fits,
                        "score": point["score"], "predicted_latency_ms": point["predicted_latency_ms"],
                        "front_measured_p50_ms": point["measured_p50_ms"], "arch": point["name"]})
    files = [os.path.abspath(os.path.join(a.models, f"{s['name']}{suffix}.json")) for s in shipped
             for suffix in ("", "_int8")]
    timings = time_models([reference, *files], a.warmup, a.runs)
    for s in shipped:
        for suffix in ("", "_int8"):
            file = os.path.abspath(os.path.join(a.models, f"{s['name']}{suffix}.json"))
            t = timings[file]
            with open(file) as f:
                m = json.load(f)
            m["nas"].update({
                "budget": {"fraction_of_reference": s["fraction"], "budget_ms": s["budget_ms"],
                           "fits_measured": s["fits"], "front_measured_p50_ms": s["front_measured_p50_ms"],
                           "reference": os.path.basename(reference),
                           "reference_p50_ms": ref["p50_ms"],
                           "reference_p50_ms_side_by_side": timings[reference]["p50_ms"]},
                "validation_score": s["score"], "predicted_latency_ms": s["predicted_latency_ms"],
                "measured_latency": {k: t[k] for k in ("p50_ms", "p90_ms", "p99_ms", "runs", "threads", "provider",
                                                       "cpu", "cores", "load_avg_1m")},
            })
            export_mod.write_manifest(m, file)
        s["measured_p50_ms"] = timings[os.path.abspath(os.path.join(a.models, f"{s['name']}.json"))]["p50_ms"]
    print(json.dumps({"reference": {"name": ref["name"], "budget_basis_p50_ms": ref["p50_ms"],
                                    "p50_ms": timings[reference]["p50_ms"]},
                      "front_latency_kendall_tau": front_tau,
                      "shipped": shipped, "models": os.path.abspath(a.models),
                      "wall_s": round(time.time() - started, 1)}))


if __name__ == "__main__":
    main()
