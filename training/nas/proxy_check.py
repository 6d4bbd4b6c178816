"""Is the search's validation score a fair stand-in for the task metrics? Rank correlation on N subnets.

    /usr/bin/python3 training/nas/proxy_check.py --supernet supernet.pt --data DIR [--data DIR2 ...] \
        --search search.json --subnets 20 --out DIR

The subnets are the latency search's front points, then random ones from the space (seeded) up to N. Each
takes the supernet's shared weights with BatchNorm recalibrated as the proxy does (nas/proxy.py), is exported
to ONNX (export_nas.py) and scored by the runtime's own evaluator (`grasp-perception eval perception --split
val` on every dataset, the whole split, the metrics averaged over them, weighted by scenes; the proxy scores
the first --max-val scenes of each, as the search did): one implementation of the task metrics. OUT/proxy_check.json: per subnet the proxy loss and the six task metrics; per metric Spearman rho and
Kendall tau with the proxy, signed so that +1 means "a lower proxy loss ranks the subnets as the metric does"
(higher-is-better metrics against -loss, suction MSE against loss).
`--rescore OLD/proxy_check.json` (instead of --search) scores an earlier check's subnets with the current proxy
against the task metrics measured then: OUT/proxy_rescore.json holds both correlations.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

import torch
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from nas.export_nas import export_subnet  # noqa: E402
from training_data import CLI  # noqa: E402
from nas.proxy import ValidationProxy  # noqa: E402
from nas.space import name_of, sample  # noqa: E402
from nas.supernet import extract_subnet  # noqa: E402

# The six task metrics of RESULTS.md, and whether higher is better.
METRICS = {"amodal_bbox_ap": True, "visible_mask_ap": True, "amodal_mask_ap": True,
           "occlusion_balanced_accuracy": True, "com_ap": True, "suction_mse": False}


def choose_subnets(space, front, n, seed):
    """Up to n distinct architectures: the front's, then seeded random ones."""
    chosen, seen = [], set()
    for arch in front:
        if len(chosen) < n and repr(arch) not in seen:
            seen.add(repr(arch))
            chosen.append(arch)
    rng = random.Random(seed)
    while len(chosen) < n:
        arch = sample(space, rng)
        if repr(arch) not in seen:
            seen.add(repr(arch))
            chosen.append(arch)
    return chosen


def evaluate_manifest(manifest, dirs, threads, limit=None):
    """The runtime evaluator on each dataset's validation split; metrics averaged weighted by images."""
    totals, images = {k: 0.0 for k in METRICS}, {k: 0 for k in METRICS}
    for d in dirs:
        cmd = CLI + ["eval", "perception", "--model", manifest, "--data", d, "--split", "val", "--json",
                     "--threads", str(threads)] + (["--limit", str(limit)] if limit else [])
        r = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
        for k in METRICS:
            if r.get(k) is not None:  # balanced accuracy is undefined on a split with no occluded instance
                totals[k] += r[k] * r["images"]
                images[k] += r["images"]
    return {k: (totals[k] / images[k] if images[k] else None) for k in METRICS}


def correlations(losses, metrics):
    """{metric: {spearman, kendall, n}} between the proxy loss and each metric, signed as the module says."""
    out = {}
    for k, higher_better in METRICS.items():
        pairs = [(l, m[k]) for l, m in zip(losses, metrics) if m[k] is not None]
        if len(pairs) < 3:
            out[k] = {"spearman": None, "kendall": None, "n": len(pairs)}
            continue
        x = [(-l if higher_better else l) for l, _ in pairs]
        y = [v for _, v in pairs]
        rho, tau = stats.spearmanr(x, y)[0], stats.kendalltau(x, y)[0]
        out[k] = {"spearman": None if rho != rho else round(float(rho), 3),
                  "kendall": None if tau != tau else round(float(tau), 3), "n": len(pairs)}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--supernet", required=True)
    p.add_argument("--data", required=True, action="append")
    p.add_argument("--search", help="search.json (its latency front comes first)")
    p.add_argument("--rescore", help="an earlier run's proxy_check.json: score its subnets (their manifests in its "
                   "proxy_subnets/) with this proxy and set the new losses against the task metrics it measured; "
                   "writes OUT/proxy_rescore.json")
    p.add_argument("--subnets", type=int, default=20)
    p.add_argument("--out", required=True)
    p.add_argument("--calib-batches", type=int, default=4)
    p.add_argument("--max-val", type=int, default=None, help="validation scenes per dataset (default: all)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    if not (a.search or a.rescore):
        p.error("one of --search or --rescore is required")
    started = time.time()
    os.makedirs(a.out, exist_ok=True)
    if a.rescore:
        return rescore(a, started)
    with open(a.search) as f:
        front = [q["arch"] for q in json.load(f)["latency"]["front"]]
    proxy = ValidationProxy(a.supernet, a.data, a.calib_batches, max_val=a.max_val, threads=a.threads)
    ckpt = torch.load(a.supernet, map_location="cpu")
    models_dir = os.path.join(a.out, "proxy_subnets")
    rows = []
    for i, arch in enumerate(choose_subnets(proxy.space, front, a.subnets, a.seed)):
        loss = proxy(arch)
        proxy.model.set_active(arch)
        proxy.calibrate_bn(proxy._data(tuple(arch["resolution"]))[0])  # the statistics the proxy scored with
        name = f"proxy_{i:03d}"
        export_subnet(extract_subnet(proxy.model, arch).eval(), arch, proxy.space, name, models_dir, ckpt["mean"],
                      ckpt["std"], ckpt["contract"], {"note": "supernet weights, BatchNorm recalibrated (proxy check)"},
                      ckpt["semantic_classes"])
        # The task metrics on the whole validation split: the proxy's --max-val scenes are a sample of it.
        metrics = evaluate_manifest(os.path.join(models_dir, f"{name}.json"), a.data, a.threads)
        rows.append({"name": name, "arch": name_of(arch), "front": i < len(front), "proxy_loss": loss, **metrics})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    result = {"subnets": len(rows), "datasets": [os.path.abspath(d) for d in a.data], "split": "val",
              "correlation": correlations([r["proxy_loss"] for r in rows], rows), "rows": rows,
              "wall_s": round(time.time() - started, 1)}
    with open(os.path.join(a.out, "proxy_check.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({"subnets": len(rows), "kendall": {k: v["kendall"] for k, v in result["correlation"].items()},
                      "wall_s": result["wall_s"]}))


def rescore(a, started):
    """The subnets of an earlier check scored again by this proxy; their task metrics are measurements already."""
    with open(a.rescore) as f:
        before = json.load(f)
    proxy = ValidationProxy(a.supernet, a.data, a.calib_batches, max_val=a.max_val, threads=a.threads)
    rows = []
    for r in before["rows"]:
        with open(os.path.join(os.path.dirname(os.path.abspath(a.rescore)), "proxy_subnets", f"{r['name']}.json")) as f:
            arch = json.load(f)["nas"]["arch"]
        rows.append({**r, "proxy_loss_before": r["proxy_loss"], "proxy_loss": proxy(arch)})
    result = {"subnets": len(rows), "rescored": os.path.abspath(a.rescore), "split": before["split"],
              "correlation_before": correlations([r["proxy_loss_before"] for r in rows], rows),
              "correlation": correlations([r["proxy_loss"] for r in rows], rows), "rows": rows,
              "wall_s": round(time.time() - started, 1)}
    with open(os.path.join(a.out, "proxy_rescore.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({"subnets": len(rows), "kendall_before": {k: v["kendall"] for k, v in
                                                               result["correlation_before"].items()},
                      "kendall": {k: v["kendall"] for k, v in result["correlation"].items()}}))


if __name__ == "__main__":
    main()
