"""Latency surrogates fitted on a measured latency dataset (`grasp-perception nas latency`): MLP, CART, RBF
and GP on the encoding (docs/nas.md#latency-surrogates), with FLOPs (MACs) as the baseline predictor.

    /usr/bin/python3 training/nas/surrogates.py --latency latency.jsonl --out DIR [--precision fp32] [--target p50_ms]

80/20 split (seeded); on the 20 %: Spearman rho, Kendall tau and RMSE (ms); on the 80 %: 5-fold
cross-validated tau, which picks the surrogate. A sample-efficiency curve (tau on the 20 % against 10..N
training samples) goes to DIR/sample_efficiency.png; the table to DIR/surrogates.json. Each surrogate
predicts log latency from the encoding's features (choice index / (choices - 1)) and log MACs
(latency_features); FLOPs' rho and tau are the rank correlations of MACs with latency, its RMSE that of a
least-squares line latency ~ MACs.
"""

import argparse
import json
import math
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
from nas.space import extreme, features, load_space  # noqa: E402
from nas.supernet import macs_of  # noqa: E402

SURROGATES = ("mlp", "cart", "rbf", "gp")


_LOG_MACS_RANGE = {}


def latency_features(space, encoding, macs):
    """The encoding's scaled choice indices plus log MACs scaled to the space's range: latency is roughly a
    per-operator cost (additive in depth genes) plus a per-MAC cost, a product of genes the indices only
    carry additively. Chosen over the indices alone by cross-validated tau on the training records."""
    key = json.dumps(space, sort_keys=True)
    if key not in _LOG_MACS_RANGE:
        _LOG_MACS_RANGE[key] = tuple(math.log(macs_of(extreme(space, big))) for big in (False, True))
    lo, hi = _LOG_MACS_RANGE[key]
    return features(space, encoding) + [(math.log(macs) - lo) / (hi - lo)]


class Surrogate:
    """One regressor of log latency on encoding features: fit(X, y_ms), predict(X) -> ms."""

    def __init__(self, kind, seed=0):
        if kind not in SURROGATES:
            raise ValueError(f"unknown surrogate {kind!r}; one of {SURROGATES}")
        self.kind, self.seed = kind, seed

    def fit(self, x, y):
        x, ly = np.asarray(x, float), np.log(np.asarray(y, float))
        # Genes with one choice (or not varied in these samples) carry nothing and make RBF's tail singular.
        self.keep = x.std(0) > 0
        x = x[:, self.keep]
        self.mu, self.sd = ly.mean(), ly.std() or 1.0
        t = (ly - self.mu) / self.sd
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.kind == "mlp":
                from sklearn.neural_network import MLPRegressor
                self.model = MLPRegressor((64, 64), alpha=1e-3, max_iter=3000, random_state=self.seed).fit(x, t)
            elif self.kind == "cart":
                from sklearn.tree import DecisionTreeRegressor
                self.model = DecisionTreeRegressor(min_samples_leaf=2, random_state=self.seed).fit(x, t)
            elif self.kind == "rbf":
                from scipy.interpolate import RBFInterpolator
                # Thin-plate spline with a polynomial tail; a little smoothing: repeated timings are noisy.
                degree = 1 if len(t) > x.shape[1] else 0  # a linear tail needs more points than dimensions
                try:
                    self.model = RBFInterpolator(x, t, kernel="thin_plate_spline", smoothing=1e-2, degree=degree)
                except np.linalg.LinAlgError:  # collinear samples: a constant tail
                    self.model = RBFInterpolator(x, t, kernel="thin_plate_spline", smoothing=1e-2, degree=0)
            else:
                from sklearn.gaussian_process import GaussianProcessRegressor
                from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
                kernel = ConstantKernel(1.0) * RBF(np.ones(x.shape[1])) + WhiteKernel(1e-2)
                self.model = GaussianProcessRegressor(kernel, normalize_y=False, n_restarts_optimizer=1,
                                                      random_state=self.seed).fit(x, t)
        return self

    def predict(self, x):
        x = np.asarray(x, float)[:, self.keep]
        t = self.model(x) if self.kind == "rbf" else self.model.predict(x)
        return np.exp(np.asarray(t) * self.sd + self.mu)


def rank_metrics(pred, truth):
    """Spearman rho, Kendall tau and RMSE of predictions against measured values."""
    from scipy.stats import kendalltau, spearmanr
    pred, truth = np.asarray(pred, float), np.asarray(truth, float)
    rho = spearmanr(pred, truth).correlation
    tau = kendalltau(pred, truth).correlation
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    fix = (lambda v: 0.0 if v is None or math.isnan(v) else float(v))
    return {"spearman_rho": fix(rho), "kendall_tau": fix(tau), "rmse_ms": rmse}


def flops_metrics(macs_train, y_train, macs_test, y_test):
    a, b = np.polyfit(np.asarray(macs_train, float), np.asarray(y_train, float), 1)
    m = rank_metrics(a * np.asarray(macs_test, float) + b, y_test)
    # Rank correlation of MACs itself (the fit is monotone, so rho and tau are the same either way).
    return m


def cv_tau(kind, x, y, folds=5, seed=0):
    from sklearn.model_selection import KFold
    taus = []
    for tr, te in KFold(min(folds, len(y)), shuffle=True, random_state=seed).split(x):
        s = Surrogate(kind, seed).fit(x[tr], y[tr])
        taus.append(rank_metrics(s.predict(x[te]), y[te])["kendall_tau"])
    return float(np.mean(taus))


def load_records(path, precision="fp32"):
    with open(path) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    recs = [r for r in recs if r["precision"] == precision]
    if len(recs) < 10:
        raise SystemExit(f"surrogates.py: {path} has {len(recs)} {precision} records; at least 10 are needed")
    return recs


def split(n, seed=0, test_fraction=0.2):
    order = np.random.default_rng(seed).permutation(n)
    k = max(2, int(round(n * test_fraction)))
    return order[k:], order[:k]


def evaluate(x, y, macs, seed=0, curve_step=10):
    """The table (per surrogate and FLOPs), the CV choice and the sample-efficiency curve."""
    x, y, macs = np.asarray(x, float), np.asarray(y, float), np.asarray(macs, float)
    tr, te = split(len(y), seed)
    table = {}
    for kind in SURROGATES:
        s = Surrogate(kind, seed).fit(x[tr], y[tr])
        table[kind] = {**rank_metrics(s.predict(x[te]), y[te]), "cv_kendall_tau": cv_tau(kind, x[tr], y[tr], seed=seed)}
    table["flops"] = {**flops_metrics(macs[tr], y[tr], macs[te], y[te]), "cv_kendall_tau": None}
    choice = max(SURROGATES, key=lambda k: table[k]["cv_kendall_tau"])
    sizes = sorted({min(len(tr), n) for n in list(range(10, len(tr) + 1, curve_step)) + [len(tr)]})
    curve = {kind: [] for kind in SURROGATES}
    for n in sizes:
        for kind in SURROGATES:
            s = Surrogate(kind, seed).fit(x[tr[:n]], y[tr[:n]])
            curve[kind].append(rank_metrics(s.predict(x[te]), y[te])["kendall_tau"])
    return {"train": int(len(tr)), "test": int(len(te)), "table": table, "choice": choice,
            "curve": {"samples": sizes, **curve, "flops": table["flops"]["kendall_tau"]}}


def plot_curve(result, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    c = result["curve"]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for kind in SURROGATES:
        ax.plot(c["samples"], c[kind], marker="o", label=kind.upper())
    ax.axhline(c["flops"], color="k", linestyle="--", label="FLOPs (MACs)")
    ax.set_xlabel("training samples (measured subnets)")
    ax.set_ylabel("Kendall tau on the held-out 20 %")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def fit_chosen(latency, space_path, precision="fp32", target="p50_ms", out=None, seed=0):
    space = load_space(space_path)
    recs = load_records(latency, precision)
    x = [latency_features(space, r["encoding"], r["macs"]) for r in recs]
    y = [r[target] for r in recs]
    macs = [r["macs"] for r in recs]
    result = evaluate(x, y, macs, seed)
    machine = sorted({f"{r['cpu']}, {r['cores']} cores, {r['threads']} thread(s), {r['provider']}" for r in recs})
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    where = os.path.abspath(latency)
    result.update({"latency": os.path.relpath(where, root) if where.startswith(root + os.sep) else where, "precision": precision, "target": target,
                   "records": len(recs), "machine": machine})
    if out:
        os.makedirs(out, exist_ok=True)
        plot_curve(result, os.path.join(out, "sample_efficiency.png"),
                   f"{precision} {target} on {'; '.join(machine)}")
        with open(os.path.join(out, "surrogates.json"), "w") as f:
            json.dump(result, f, indent=1)
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency", required=True, help="JSON lines written by `grasp-perception nas latency`")
    p.add_argument("--space", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces", "default.json"))
    p.add_argument("--out", required=True)
    p.add_argument("--precision", default="fp32", choices=("fp32", "int8"))
    p.add_argument("--target", default="p50_ms", choices=("p50_ms", "p90_ms"))
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    r = fit_chosen(a.latency, a.space, a.precision, a.target, a.out, a.seed)
    print(json.dumps({"choice": r["choice"], "records": r["records"],
                      "kendall_tau": {k: round(v["kendall_tau"], 3) for k, v in r["table"].items()},
                      "cv_kendall_tau": {k: v["cv_kendall_tau"] and round(v["cv_kendall_tau"], 3) for k, v in r["table"].items()}}))


if __name__ == "__main__":
    main()
