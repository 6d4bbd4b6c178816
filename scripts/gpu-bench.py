"""Time the shipped ONNX models side by side on an accelerator machine; prints one JSON document.

    python3 scripts/gpu-bench.py [--models models] [--runs 200] [--out bench.json]

Each manifest in --models is opened with every execution provider this machine's Python onnxruntime has
among TensorRT, CUDA and CPU (CPU twice: 1 thread, as perception_node runs by default, and every core),
with the manifest's input shape (batch 1; a policy's batch is its 8 rotations, one decision); models are interleaved run by run so that clock and load
changes touch all alike. When onnxruntime has no GPU provider (the plain `onnxruntime` wheel), the fp32
perception and segmentation architectures are also timed in PyTorch on CUDA, built by training/'s own
model code with random weights (the same layers, so the same latency, not the shipped weights' outputs),
eagerly and replayed as CUDA graphs, in fp32 and fp16.
The device, driver and versions are named in the output.
"""

import argparse
import copy
import glob
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8,
          "tensor(int8)": np.int8, "tensor(int64)": np.int64}


def device_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return out or None
    except (OSError, subprocess.SubprocessError):
        return None


def percentiles(ms):
    a = np.sort(np.asarray(ms))
    return {q: round(float(np.percentile(a, p)), 4) for q, p in (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99))}


def feeds_for(session, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
        dtype = DTYPES.get(i.type)
        if dtype is None:
            raise SystemExit(f"gpu-bench.py: input {i.name} of type {i.type} is not supported")
        feeds[i.name] = (rng.standard_normal(shape) if dtype in (np.float32, np.float16)
                         else rng.integers(0, 2, shape)).astype(dtype)
    return feeds


def provider_configs(ort):
    have = ort.get_available_providers()
    configs = []
    if "TensorrtExecutionProvider" in have:
        configs.append(("tensorrt", [("TensorrtExecutionProvider", {}), "CUDAExecutionProvider"], 0))
    if "CUDAExecutionProvider" in have:
        configs.append(("cuda", ["CUDAExecutionProvider"], 0))
    configs.append(("cpu_1_thread", ["CPUExecutionProvider"], 1))
    configs.append((f"cpu_{os.cpu_count()}_threads", ["CPUExecutionProvider"], os.cpu_count()))
    return have, configs


def time_onnx(manifests, ort, warmup, runs, deadline):
    have, configs = provider_configs(ort)
    results = []
    for label, providers, threads in configs:
        sessions = []
        for m in manifests:
            so = ort.SessionOptions()
            if threads:
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
            if time.time() > deadline:
                results.append({"model": m["name"], "precision": m["precision"], "provider": label,
                                "error": "not timed: --budget-s ran out"})
                continue
            started = time.time()
            try:
                s = ort.InferenceSession(m["onnx"], so, providers=providers)
            except Exception as e:  # noqa: BLE001 (a provider that refuses one graph must not stop the rest)
                results.append({"model": m["name"], "precision": m["precision"], "provider": label,
                                "error": str(e).splitlines()[0][:300]})
                continue
            sessions.append((m, s, feeds_for(s), round(time.time() - started, 2)))
        n = runs if label in ("tensorrt", "cuda") else max(10, runs // 4)
        times = {id(s): [] for _, s, _, _ in sessions}
        for _, s, f, _ in sessions:
            for _ in range(warmup):
                s.run(None, f)
        for _ in range(n):
            if time.time() > deadline:
                break
            for _, s, f, _ in sessions:
                t = time.perf_counter()
                s.run(None, f)
                times[id(s)].append((time.perf_counter() - t) * 1e3)
        for m, s, _, load_s in sessions:
            ran = s.get_providers()
            results.append({"model": m["name"], "precision": m["precision"], "provider": label,
                            "providers_used": ran, "threads": threads or None, "session_s": load_s,
                            "runs": len(times[id(s)]), **percentiles(times[id(s)] or [float("nan")])})
    return have, results


def graph_replay(torch, net, x):
    """The network captured once as a CUDA graph: replay launches it whole (what an engine such as TensorRT
    also avoids: one kernel launch per layer from Python dominates small batch-1 networks)."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            net(x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        net(x)
    return graph.replay


def time_torch(manifests, warmup, runs, deadline):
    """fp32 perception and segmentation architectures in PyTorch on CUDA (random weights, same layers)."""
    import torch
    if not torch.cuda.is_available():
        return {"error": "torch.cuda is not available"}
    sys.path.insert(0, os.path.join(ROOT, "training"))
    from perception_models import GraspNet
    from segmentation_models import build_segmenter
    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "results": []}
    nets = []
    for m in manifests:
        if m["precision"] != "fp32" or m["task"] not in ("perception", "segmentation"):
            continue
        try:
            if m.get("nas"):  # a searched architecture (training/nas): built from the manifest's arch
                from nas.supernet import build_subnet
                net = build_subnet(m["nas"]["arch"])
            elif m["task"] == "perception":
                net = GraspNet(m["architecture"])
            else:
                net = build_segmenter(m["architecture"], len(m.get("classes") or []) or 2)
        except (ValueError, KeyError) as e:
            out["results"].append({"model": m["name"], "error": str(e)})
            continue
        x = torch.randn(*m["shape"], device="cuda")
        nets.append((m, net.cuda().eval(), x))
    with torch.inference_mode():
        for mode in ("eager_fp32", "eager_fp16", "cuda_graph_fp32", "cuda_graph_fp16"):
            calls = {}
            for m, net, x in nets:
                half = mode.endswith("fp16")
                n, xi = (copy.deepcopy(net).half(), x.half()) if half else (net, x)
                calls[m["name"]] = graph_replay(torch, n, xi) if mode.startswith("cuda_graph") else (
                    lambda n=n, xi=xi: n(xi))
            times = {name: [] for name in calls}
            for _ in range(warmup):
                for call in calls.values():
                    call()
            torch.cuda.synchronize()
            for _ in range(runs):
                if time.time() > deadline:
                    break
                for name, call in calls.items():
                    t = time.perf_counter()
                    call()
                    torch.cuda.synchronize()
                    times[name].append((time.perf_counter() - t) * 1e3)
            for name in calls:
                out["results"].append({"model": name, "mode": mode, "runs": len(times[name]),
                                       **percentiles(times[name] or [float("nan")])})
    return out


def load_manifests(models_dir):
    found = []
    for path in sorted(glob.glob(os.path.join(models_dir, "*.json"))):
        with open(path) as f:
            m = json.load(f)
        if "model_file" not in m or "input" not in m:
            continue
        onnx_path = os.path.join(models_dir, m["model_file"])
        if not os.path.exists(onnx_path):
            continue
        found.append({"name": m["name"], "task": m.get("task"), "architecture": m.get("architecture"),
                      "precision": m.get("precision"), "onnx": onnx_path, "shape": m["input"].get("shape"),
                      "classes": m.get("classes"), "macs": (m.get("complexity") or {}).get("macs")})
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--budget-s", type=float, default=300, help="stop timing after this long (partial runs are kept)")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    started = time.time()
    deadline = started + a.budget_s
    import onnxruntime as ort
    manifests = load_manifests(a.models)
    if not manifests:
        raise SystemExit(f"gpu-bench.py: no manifests with an ONNX file in {a.models}")
    have, onnx_results = time_onnx(manifests, ort, a.warmup, a.runs, deadline)
    doc = {"device": device_name(), "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "onnxruntime": ort.__version__, "available_providers": have, "batch": 1, "warmup": a.warmup,
           "models": [{k: m[k] for k in ("name", "task", "precision", "shape", "macs")} for m in manifests],
           "onnx": onnx_results}
    if not any(x in have for x in ("CUDAExecutionProvider", "TensorrtExecutionProvider")):
        doc["torch_cuda"] = time_torch(manifests, a.warmup, a.runs, deadline + 120)
    doc["wall_s"] = round(time.time() - started, 1)
    text = json.dumps(doc, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
