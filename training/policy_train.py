"""Q-learning of the push-and-grasp policy in our simulator (VPG's recipe, sized for a 2-core CPU).

    /usr/bin/python3 training/policy_train.py --policy policy_reduced --steps 2500 --out out/policy/reduced
    ... --resume                      continue from OUT/checkpoint.pt (bitwise: replay, RNGs, optimiser)
    ... --qat --init OUT/final.pt     quantization-aware fine-tuning on the saved replay buffer
    ... --heightmap footprint --cells default:0.4,cells/domain_randomized.yaml:0.3,cells/arc_tote_sr300.yaml:0.1 \
        --resolutions 320x240,640x480,1280x720     episodes on randomised cells and cameras (issue 17)

The trainer drives the TypeScript simulator over `grasp-perception sim serve` (sim_client.py); the sim
server also builds the network input and the admissible-action masks with the runtime's own code, so
this file holds no geometry. Per step:
  observe -> Q maps for all R rotations -> epsilon-greedy action -> act -> reward (1 grasp success,
  0.5 push that changed the scene) -> target y = r + gamma * max Q(s') (0 at episode end) ->
  Huber loss at the executed pixel and rotation, on the new transition plus a prioritised replay batch
  (probability ~ |Q - y|^alpha, importance weights).
Episodes: each draws, from its own scene seed (so a resumed run draws the same), where it happens
(--cells: 'default' is random clutter of --objects in the default bin under the default camera; a cell
file is one of that cell's scenes: its bin or table, objects, camera pose and intrinsics, sensor,
lighting) and the camera's resolution (--resolutions; a cell's camera keeps its field of view and
aspect, scaled to the width). The heightmap grid follows the scene's workspace (the bin floor less the
wall margin, src/policy/heightmap.ts workspaceGrid) at the policy's cell size, centred in the fixed
S x S input.
Writes OUT/checkpoint.pt (every --checkpoint-every steps), OUT/log.jsonl (one line per step),
OUT/final.pt, OUT/curve.png (grasp success over steps).
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from machine import machine
from policy_models import build_policy
from sim_client import SimClient

GAMMA = 0.5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The seed protocol's one definition (src/policy/seeds.ts reads the same file): training episodes draw
# from the training range only, so no evaluation or design scene is ever trained on.
with open(os.path.join(ROOT, "src", "policy", "seed-ranges.json")) as _f:
    SEED_RANGES = json.load(_f)
TRAIN_SEED_BASE = SEED_RANGES["training"]["first"]
EPISODES_PER_SEED = 10_000


def training_seed(seed, episode):
    """The scene seed of a training episode; refuses (one line, exit) any outside the training range."""
    r = SEED_RANGES["training"]
    s = TRAIN_SEED_BASE + seed * EPISODES_PER_SEED + episode
    if seed < 0 or episode >= EPISODES_PER_SEED or not r["first"] <= s <= r["last"]:
        raise SystemExit(f"policy_train.py: scene seed {s} (--seed {seed}, episode {episode}) is outside the "
                         f"training range {r['first']}..{r['last']} (src/policy/seed-ranges.json)")
    return s


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--policy", default="policy_reduced")
    p.add_argument("--channels", default="red,green,blue,height")
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--out", required=True)
    p.add_argument("--objects", default="10",
                   help="objects in 'default' episodes; a comma list draws one per episode (10,10,20,30)")
    p.add_argument("--cells", default="default",
                   help="episode mix: 'default' and cell files (relative to the package root), each with an "
                        "optional :weight, e.g. default:0.4,cells/domain_randomized.yaml:0.3")
    p.add_argument("--resolutions", default="320x240",
                   help="camera resolutions drawn per episode, e.g. 320x240,640x480,1280x720")
    p.add_argument("--heightmap", choices=["point_max", "footprint"], default=None,
                   help="heightmap method (default: the policy grid's, point_max); footprint is camera-independent")
    p.add_argument("--suction-model", default=None,
                   help="perception manifest for the suction channel (default models/fast_graspnext.json)")
    p.add_argument("--suction-name", default=None,
                   help="how the manifest names the suction model (default: --suction-model as given, or "
                        "models/fast_graspnext.json): its package path when training used a copy")
    p.add_argument("--lost-penalty", type=float, default=0.0,
                   help="subtracted from an action's reward per object it lost (left the workspace other "
                        "than by a grasp)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--batch", type=int, default=8, help="replayed transitions trained with each new one")
    p.add_argument("--eps-start", type=float, default=0.5)
    p.add_argument("--eps-end", type=float, default=0.1)
    p.add_argument("--eps-decay", type=float, default=0.998, help="per step (VPG: 0.9998 over ~10x more steps)")
    p.add_argument("--alpha", type=float, default=0.6, help="replay priority exponent")
    p.add_argument("--explore-grasp", type=float, default=0.7,
                   help="share of grasps among exploratory actions (pushes nearly always change the scene)")
    p.add_argument("--updates", type=int, default=2, help="gradient updates per step")
    p.add_argument("--max-actions", type=int, default=30, help="episode reset after this many actions")
    p.add_argument("--max-failures", type=int, default=10, help="reset after this many consecutive failures")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.pt, or from --light-checkpoint when OUT has none")
    p.add_argument("--light-checkpoint", default=None,
                   help="also write, at every checkpoint, a copy without the replay buffer's inputs (a few MB: "
                        "weights, optimiser, RNGs, counters, log) to this file, for committing; resuming from "
                        "it restarts the replay buffer empty")
    p.add_argument("--qat", action="store_true", help="quantization-aware fine-tuning on OUT's replay buffer")
    p.add_argument("--init", help="weights to start from (final.pt)")
    p.add_argument("--camera", default="320x240")
    return p.parse_args(argv)


class Replay:
    """Transitions as the executed rotation's input (fp16) and the pixel; priorities for sampling."""

    def __init__(self):
        self.inputs, self.meta, self.prio = [], [], []

    def add(self, x, primitive, i, j, target, prio):
        self.inputs.append(x.astype(np.float16))
        self.meta.append((primitive, i, j, target))
        self.prio.append(prio)

    def sample(self, rng, n, alpha):
        p = (np.asarray(self.prio) + 1e-3) ** alpha
        p /= p.sum()
        idx = rng.choice(len(p), size=min(n, len(p)), replace=False, p=p)
        w = (len(p) * p[idx]) ** -0.4
        return idx, w / w.max()

    def state(self):
        return {"inputs": np.stack(self.inputs) if self.inputs else None, "meta": self.meta, "prio": self.prio}

    def load(self, st):
        self.inputs = list(st["inputs"]) if st["inputs"] is not None else []
        self.meta, self.prio = list(st["meta"]), list(st["prio"])


def parse_mix(text):
    """'default:0.4,cells/x.yaml:0.3' -> [(name, probability)], probabilities normalised."""
    items = []
    for part in text.split(","):
        name, _, w = part.strip().rpartition(":") if part.count(":") else (part.strip(), "", "1")
        if not name:
            name, w = w, "1"
        if float(w) <= 0:
            raise SystemExit(f"policy_train.py: --cells weight of {name} must be positive")
        items.append((name, float(w)))
    total = sum(w for _, w in items)
    return [(n, w / total) for n, w in items]


def parse_resolutions(text):
    out = []
    for r in text.split(","):
        w, h = (int(v) for v in r.strip().split("x"))
        out.append((w, h))
    return out


def episode_setup(a, scene_seed):
    """Where episode `scene_seed` happens: (cell or None for default clutter, objects, width, height),
    drawn from the scene seed alone."""
    rng = np.random.default_rng([scene_seed, 17])
    mix = parse_mix(a.cells)
    cell = mix[rng.choice(len(mix), p=[w for _, w in mix])][0]
    res = parse_resolutions(a.resolutions)
    width, height = res[rng.integers(len(res))]
    counts = [int(v) for v in str(a.objects).split(",")]
    objects = counts[rng.integers(len(counts))]
    return (None if cell == "default" else cell), objects, width, height


def q_at(net, x, primitives, ii, jj):
    """Q of each sample's executed primitive at its pixel (x: N x C x S x S)."""
    push, grasp = net(x)
    n = torch.arange(x.shape[0])
    q = torch.where(torch.tensor([p == "grasp" for p in primitives]), grasp[n, 0, ii, jj], push[n, 0, ii, jj])
    return q


def greedy(push, grasp, obs):
    """Best admissible (primitive, rotation, i, j, q) over masked maps; None when nothing is admissible."""
    pm, gm = obs["push_mask"].astype(bool), obs["grasp_mask"].astype(bool)
    best = None
    if gm.any():
        g = np.where(gm, grasp[0, 0], -np.inf)
        k = int(np.argmax(g))
        best = ("grasp", 0, k // g.shape[1], k % g.shape[1], float(g.flat[k]))
    if pm.any():
        p = np.where(pm, push[:, 0], -np.inf)
        k = int(np.argmax(p))
        r, rest = divmod(k, p.shape[1] * p.shape[2])
        cand = ("push", r, rest // p.shape[2], rest % p.shape[2], float(p.flat[k]))
        if best is None or cand[4] > best[4]:
            best = cand
    return best


def explore(rng, obs, grasp_share):
    """A random admissible action: a grasp with probability grasp_share, else a push (the other primitive
    when one has no admissible pixel)."""
    choices = [p for p, m in (("grasp", obs["grasp_mask"]), ("push", obs["push_mask"])) if m.any()]
    if not choices:
        return None
    prim = choices[0] if len(choices) == 1 else ("grasp" if rng.random() < grasp_share else "push")
    if prim == "grasp":
        ii, jj = np.nonzero(obs["grasp_mask"])
        k = rng.integers(len(ii))
        return ("grasp", 0, int(ii[k]), int(jj[k]))
    rr, ii, jj = np.nonzero(obs["push_mask"])
    k = rng.integers(len(ii))
    return ("push", int(rr[k]), int(ii[k]), int(jj[k]))


def forward_all(net, obs):
    with torch.no_grad():
        push, grasp = net(torch.from_numpy(obs["inputs"].copy()))
    return push.numpy(), grasp.numpy()


def draw_curve(log, path, window=100):
    """Grasp success (moving window over grasp attempts) and clearance rate against training step."""
    from PIL import Image, ImageDraw

    grasps = [(e["step"], 1.0 if e["success"] else 0.0) for e in log if e["primitive"] == "grasp"]
    W, H, m = 720, 360, 50
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    steps = max(1, log[-1]["step"] if log else 1)
    d.rectangle([m, 20, W - 20, H - m], outline="black")
    for t in (0.25, 0.5, 0.75, 1.0):
        y = H - m - t * (H - m - 20)
        d.line([m, y, W - 20, y], fill=(220, 220, 220))
        d.text((8, y - 6), f"{t:.2f}", fill="black")
    d.text((m, H - m + 8), "0", fill="black")
    d.text((W - 70, H - m + 8), f"{steps} steps", fill="black")
    d.text((m + 8, 24), f"grasp success (moving {window} attempts)", fill=(0, 90, 200))
    pts = []
    for n in range(len(grasps)):
        lo = max(0, n - window + 1)
        rate = sum(s for _, s in grasps[lo:n + 1]) / (n + 1 - lo)
        x = m + grasps[n][0] / steps * (W - 20 - m)
        pts.append((x, H - m - rate * (H - m - 20)))
    if len(pts) > 1:
        d.line(pts, fill=(0, 90, 200), width=2)
    img.save(path)


def main(argv=None):
    a = parse_args(argv)
    training_seed(a.seed, 0)  # a --seed outside the training range fails before anything is written
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    channels = a.channels.split(",")
    net, spec = build_policy(a.policy, channels, a.heightmap)
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    log_path = os.path.join(a.out, "log.jsonl")
    if a.qat:
        return qat(a, net, spec)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=2e-5)
    replay = Replay()
    log = []
    step, episode = 0, 0
    elapsed = 0.0  # training seconds before this run (a resumed run continues the clock)
    if a.init:
        net.load_state_dict(torch.load(a.init)["model"])
    resume_from = ckpt_path if os.path.exists(ckpt_path) else a.light_checkpoint
    if a.resume and resume_from and os.path.exists(resume_from):
        ck = torch.load(resume_from)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        if ck["replay"]["inputs"] is not None:
            replay.load(ck["replay"])
        else:
            print(f"resuming from the light checkpoint {resume_from}: the replay buffer starts empty", flush=True)
        rng.bit_generator.state = ck["rng"]
        torch.set_rng_state(ck["torch_rng"])
        step, episode, log = ck["step"], ck["episode"], ck["log"]
        # Training time of the segments before this one, so that train_seconds covers the whole run.
        elapsed = ck.get("train_seconds", 0.0)
        print(f"resumed at step {step}, episode {episode}, {elapsed:.0f} s trained", flush=True)
    if a.resolutions == "320x240" and a.camera != "320x240":  # the older flag: one resolution
        a.resolutions = a.camera
    # The grid follows each scene's workspace when episodes come from cells (other bins than the default).
    workspace_grid = any(n != "default" for n, _ in parse_mix(a.cells))
    suction_name = a.suction_name or a.suction_model or "models/fast_graspnext.json"
    extra = {"episodes_from": {"cells": a.cells, "resolutions": a.resolutions, "objects": str(a.objects),
                               "heightmap": spec["grid"].get("method", "point_max"),
                               "grid": "follows the workspace" if workspace_grid else "the policy's"},
             "suction_model": suction_name if "suction" in channels else None, "lost_penalty": a.lost_penalty}

    def save(path):
        state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "replay": replay.state(),
                 "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "step": step,
                 "episode": episode, "log": log, "spec": spec, "policy": a.policy, "args": vars(a),
                 "train_seconds": time.time() - t0, **extra}
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)
        if a.light_checkpoint:
            os.makedirs(os.path.dirname(os.path.abspath(a.light_checkpoint)), exist_ok=True)
            torch.save({**state, "replay": {"inputs": None, "meta": [], "prio": []}}, a.light_checkpoint + ".tmp")
            os.replace(a.light_checkpoint + ".tmp", a.light_checkpoint)

    t0 = time.time() - elapsed
    with SimClient(a.suction_model) as sim:
        where = {}

        def new_episode():
            seed = training_seed(a.seed, episode)
            cell, objects, width, height = episode_setup(a, seed)
            r = sim.reset(seed=seed, objects=objects, width=width, height=height, cell=cell)
            cam = r.get("camera", {})
            where.update(cell=os.path.basename(cell or "default").removesuffix(".yaml"),
                         camera=f"{cam.get('width', width)}x{cam.get('height', height)}",
                         eye=round(cam.get("eye_height", 0.0), 3), remaining=r["objects_remaining"])
            return sim.observe(policy=spec, workspace_grid=workspace_grid), 0, 0

        obs, actions, failures = new_episode()
        # A resumed run starts a fresh episode: the simulator's mid-episode state is not checkpointed.
        cached = None  # Q maps of `obs` computed for the previous target, before that update
        while step < a.steps:
            net.eval()
            push, grasp = cached if cached is not None else forward_all(net, obs)
            cached = None
            eps = max(a.eps_end, a.eps_start * a.eps_decay ** step)
            choice = explore(rng, obs, a.explore_grasp) if rng.random() < eps else greedy(push, grasp, obs)
            if choice is None:  # nothing admissible: the bin looks empty though objects remain
                cached = None
                episode += 1
                obs, actions, failures = new_episode()
                continue
            prim, r, i, j = choice[:4]
            q_pred = float(grasp[0, 0, i, j] if prim == "grasp" else push[r, 0, i, j])
            res = sim.act_pixel(prim, r, i, j)
            success = bool(res["success"]) if prim == "grasp" else bool(res["scene_changed"])
            reward = (1.0 if success else 0.0) if prim == "grasp" else (0.5 if success else 0.0)
            # Objects that left the workspace other than by this action's grasp: on a real cell, the floor.
            lost = max(0, where["remaining"] - res["objects_remaining"] - (1 if prim == "grasp" and success else 0))
            where["remaining"] = res["objects_remaining"]
            reward -= a.lost_penalty * lost
            actions += 1
            failures = 0 if success else failures + 1
            done = res["objects_remaining"] == 0
            next_obs = None if done else sim.observe(policy=spec, workspace_grid=workspace_grid)
            if next_obs is not None:
                npush, ngrasp = forward_all(net, next_obs)
                cached = (npush, ngrasp)
                nb = greedy(npush, ngrasp, next_obs)
                target = reward + GAMMA * (nb[4] if nb else 0.0)
            else:
                target = reward
            x = obs["inputs"][r]
            replay.add(x, prim, i, j, target, abs(q_pred - target))

            # Updates: the new transition plus a prioritised replay batch (the first), replay only after.
            net.train()
            for u in range(a.updates):
                idx, w = replay.sample(rng, a.batch, a.alpha)
                if u == 0:
                    last = len(replay.prio) - 1
                    keep = idx != last
                    idx, w = np.concatenate([[last], idx[keep]]), np.concatenate([[1.0], w[keep]])
                xb = torch.from_numpy(np.stack([replay.inputs[k] for k in idx]).astype(np.float32))
                meta = [replay.meta[k] for k in idx]
                q = q_at(net, xb, [m[0] for m in meta], torch.tensor([m[1] for m in meta]),
                         torch.tensor([m[2] for m in meta]))
                y = torch.tensor([m[3] for m in meta], dtype=torch.float32)
                loss = (torch.as_tensor(w, dtype=torch.float32) * F.smooth_l1_loss(q, y, reduction="none")).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                for k, e in zip(idx, (q.detach() - y).abs().numpy()):
                    replay.prio[k] = float(e)

            step += 1
            log.append({"step": step, "episode": episode, "primitive": prim, "success": success, "reward": reward,
                        "q": q_pred, "target": target, "loss": float(loss), "eps": eps,
                        "objects_remaining": res["objects_remaining"], "outcome": res["outcome"], "lost": lost,
                        "cell": where["cell"], "camera": where["camera"], "eye": where["eye"]})
            with open(log_path, "a") as f:
                f.write(json.dumps(log[-1]) + "\n")
            if step % 50 == 0:
                recent = [e for e in log[-200:] if e["primitive"] == "grasp"]
                rate = sum(e["success"] for e in recent) / max(1, len(recent))
                print(f"step {step} episode {episode} eps {eps:.3f} loss {float(loss):.4f} "
                      f"grasp success (last 200 steps) {rate:.2f} {time.time() - t0:.0f}s", flush=True)
            if step % a.checkpoint_every == 0:
                save(ckpt_path)
                draw_curve(log, os.path.join(a.out, "curve.png"))
            if done or actions >= a.max_actions or failures >= a.max_failures:
                cached = None
                episode += 1
                obs, actions, failures = new_episode()
            else:
                obs = next_obs
    save(ckpt_path)
    torch.save({"model": net.state_dict(), "spec": spec, "policy": a.policy, "steps": step, "episodes": episode,
                "train_seconds": time.time() - t0, "machine": machine(), **extra}, os.path.join(a.out, "final.pt"))
    draw_curve(log, os.path.join(a.out, "curve.png"))
    print(f"done: {step} steps, {episode} episodes, {time.time() - t0:.0f}s", flush=True)


def qat(a, net, spec):
    """Quantization-aware fine-tuning: fake-quant (per-channel int8 weights, per-tensor uint8 activations
    at every conv input) in the forward pass, trained on the fp32 run's replay buffer with its targets."""
    from qat import prepare_qat_model

    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ck = torch.load(os.path.join(a.out, "checkpoint.pt"))
    net, _ = build_policy(ck["policy"], ck["spec"]["channels"])  # the trained run's inputs, whatever --channels says
    spec = ck["spec"]  # and its grid (heightmap method)
    net.load_state_dict(torch.load(a.init or os.path.join(a.out, "final.pt"))["model"])
    replay = Replay()
    replay.load(ck["replay"])
    qnet = prepare_qat_model(net, torch.from_numpy(np.stack(replay.inputs[:64]).astype(np.float32)))
    opt = torch.optim.Adam(qnet.parameters(), lr=a.lr * 0.2)
    t0 = time.time()
    for step in range(a.steps):
        idx, w = replay.sample(rng, a.batch * 4, 0.0)
        xb = torch.from_numpy(np.stack([replay.inputs[k] for k in idx]).astype(np.float32))
        meta = [replay.meta[k] for k in idx]
        q = q_at(qnet, xb, [m[0] for m in meta], torch.tensor([m[1] for m in meta]),
                 torch.tensor([m[2] for m in meta]))
        loss = F.smooth_l1_loss(q, torch.tensor([m[3] for m in meta], dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 100 == 0:
            print(f"qat step {step + 1} loss {float(loss):.4f} {time.time() - t0:.0f}s", flush=True)
    extra = {k: ck[k] for k in ("episodes_from", "suction_model", "lost_penalty") if ck.get(k) is not None}
    torch.save({"model": qnet.state_dict(), "spec": spec, "policy": a.policy, "qat": True, "steps": a.steps,
                "train_seconds": time.time() - t0, "machine": machine(), **extra}, os.path.join(a.out, "final_qat.pt"))


if __name__ == "__main__":
    main()
