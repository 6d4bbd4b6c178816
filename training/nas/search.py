"""NSGA-II over (validation score, predicted latency), and the same search with FLOPs instead of latency.

    /usr/bin/python3 training/nas/search.py --supernet runs/supernet/supernet.pt --data DIR \
        --latency latency.jsonl --surrogate gp --out DIR [--population 40 --generations 20]

Validation score: nas/proxy.py (multi-task loss on the validation split, BN recalibrated). Latency: the
surrogate (nas/surrogates.py) fitted on every fp32 record of the latency dataset. The FLOPs search
minimises (score, MACs); both fronts are drawn on the same axes (score against predicted latency) in
OUT/pareto.png, as RAM-NAS's Figure 4 compares them; OUT/search.json lists both fronts. Scores go to
OUT/scores.jsonl as they are computed: run the same command again after an interruption and it resumes.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from nas.nsga2 import nsga2  # noqa: E402
from nas.proxy import PROXY_VERSION, ValidationProxy  # noqa: E402
from nas.space import cardinalities, decode, encode, name_of  # noqa: E402
from nas.supernet import macs_of  # noqa: E402
from nas.surrogates import Surrogate, latency_features, load_records  # noqa: E402


class ScoreCache:
    """Validation scores kept in OUT/scores.jsonl as they are computed, so an interrupted search resumes: the
    seeded NSGA-II replays the same generations and only unscored subnets run. The first line names what the
    scores depend on (the supernet's bytes and the proxy's settings); a mismatch starts a new file."""

    def __init__(self, path, score, checkpoint=None, checkpoint_every=25, **settings):
        self.path, self.score, self.scores = path, score, {}
        # checkpoint: a copy of the file kept elsewhere (a directory that is committed), refreshed every
        # checkpoint_every new scores and read when the file itself is missing (a fresh machine).
        self.checkpoint = os.path.join(checkpoint, os.path.basename(path)) if checkpoint else None
        self.checkpoint_every, self.new = checkpoint_every, 0
        if self.checkpoint and not os.path.exists(path) and os.path.exists(self.checkpoint):
            shutil.copyfile(self.checkpoint, path)
        self.header = {"supernet_sha1": sha1_of(settings.pop("supernet")), **settings}
        if os.path.exists(path):
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            if lines and lines[0] == self.header:
                self.scores = {tuple(r["encoding"]): r["score"] for r in lines[1:]}
                print(f"search.py: {len(self.scores)} scores resumed from {path}", file=sys.stderr)
            else:
                os.replace(path, path + ".stale")
        if not self.scores:
            with open(path, "w") as f:
                f.write(json.dumps(self.header) + "\n")

    def __call__(self, space, arch):
        key = tuple(encode(space, arch))
        if key not in self.scores:
            started = time.time()
            self.scores[key] = float(self.score(arch))
            with open(self.path, "a") as f:
                f.write(json.dumps({"encoding": list(key), "score": self.scores[key],
                                    "seconds": round(time.time() - started, 2)}) + "\n")
            self.new += 1
            if self.new % self.checkpoint_every == 0:
                self.save_checkpoint()
        return self.scores[key]

    def save_checkpoint(self):
        if self.checkpoint:
            os.makedirs(os.path.dirname(self.checkpoint), exist_ok=True)
            shutil.copyfile(self.path, self.checkpoint + ".tmp")
            os.replace(self.checkpoint + ".tmp", self.checkpoint)


def dataset_identity(path):
    """What a score depends on in a dataset, wherever it lies: its name and the SHA-1 of the annotations the
    proxy reads (the train split calibrates, the val split scores; dataset.json names the cell by a relative
    path, which differs between checkouts)."""
    return {"name": os.path.basename(os.path.normpath(path)),
            "sha1": sha1_of(*(os.path.join(path, split, "annotations.json") for split in ("train", "val")))}


def sha1_of(*files):
    """The SHA-1 of the files' bytes, one after the other."""
    h = hashlib.sha1()
    for file in files:
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def run_search(score, latency, macs, space, population, generations, seed):
    """Both searches; score/latency/macs: functions of an architecture dict."""
    genes = cardinalities(space)
    memo = {}

    def point(enc):
        key = tuple(enc)
        if key not in memo:
            arch = decode(space, enc)
            memo[key] = {"encoding": list(enc), "arch": arch, "name": name_of(arch), "score": score(arch),
                         "predicted_latency_ms": float(latency(arch)), "macs": int(macs(arch))}
        return memo[key]

    fronts = {}
    for objective in ("latency", "flops"):
        key = "predicted_latency_ms" if objective == "latency" else "macs"
        _, front, evals = nsga2(lambda enc: (point(enc)["score"], point(enc)[key]), 2, genes, population,
                                generations, seed)
        pts = sorted({tuple(i) for i in front})
        fronts[objective] = {"evaluations": evals, "front": sorted((point(list(e)) for e in pts),
                                                                  key=lambda p: p["predicted_latency_ms"])}
    return fronts


def plot_fronts(fronts, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for objective, style in (("latency", "o-"), ("flops", "s--")):
        f = fronts[objective]["front"]
        ax.plot([p["predicted_latency_ms"] for p in f], [p["score"] for p in f], style,
                label=f"NSGA-II on {'predicted latency' if objective == 'latency' else 'FLOPs'}")
    ax.set_xlabel("predicted latency, ms (surrogate)")
    ax.set_ylabel("validation multi-task loss (lower is better)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--supernet", required=True)
    p.add_argument("--data", required=True, action="append")
    p.add_argument("--latency", required=True)
    p.add_argument("--surrogate", default=None, help="mlp|cart|rbf|gp (default: the choice in surrogates.json beside --out)")
    p.add_argument("--out", required=True)
    p.add_argument("--population", type=int, default=40)
    p.add_argument("--generations", type=int, default=20)
    p.add_argument("--calib-batches", type=int, default=4)
    p.add_argument("--max-val", type=int, default=None, help="validation scenes per evaluation (default: all)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--checkpoint", default=None, help="a directory that keeps a copy of OUT/scores.jsonl (every 25 "
                   "new scores; read when OUT has none): commit it to resume the search on another machine")
    a = p.parse_args(argv)
    started = time.time()
    os.makedirs(a.out, exist_ok=True)
    proxy = ValidationProxy(a.supernet, a.data, a.calib_batches, max_val=a.max_val, threads=a.threads)
    space = proxy.space
    kind = a.surrogate
    if kind is None:
        with open(os.path.join(a.out, "surrogates.json")) as f:
            kind = json.load(f)["choice"]
    recs = load_records(a.latency, "fp32")
    sur = Surrogate(kind).fit([latency_features(space, r["encoding"], r["macs"]) for r in recs],
                              [r["p50_ms"] for r in recs])
    latency = lambda arch: float(sur.predict([latency_features(space, encode(space, arch), macs_of(arch))])[0])  # noqa: E731
    scores = ScoreCache(os.path.join(a.out, "scores.jsonl"), proxy, checkpoint=a.checkpoint, supernet=a.supernet,
                        data=[dataset_identity(d) for d in a.data], calib_batches=a.calib_batches, max_val=a.max_val,
                        proxy_version=PROXY_VERSION, reference=list(proxy.reference))
    fronts = run_search(lambda arch: scores(space, arch), latency, macs_of, space, a.population, a.generations,
                        a.seed)
    scores.save_checkpoint()
    machine = sorted({f"{r['cpu']}, {r['threads']} thread(s), {r['provider']}" for r in recs})
    result = {"surrogate": kind, "population": a.population, "generations": a.generations, "seed": a.seed,
              "machine": machine, "wall_s": round(time.time() - started, 1), **fronts}
    with open(os.path.join(a.out, "search.json"), "w") as f:
        json.dump(result, f, indent=1)
    plot_fronts(fronts, os.path.join(a.out, "pareto.png"),
                f"NSGA-II {a.population} x {a.generations}; latency surrogate {kind.upper()} on {'; '.join(machine)}")
    print(json.dumps({"wall_s": result["wall_s"], "latency_front": len(fronts["latency"]["front"]),
                      "flops_front": len(fronts["flops"]["front"])}))


if __name__ == "__main__":
    main()
