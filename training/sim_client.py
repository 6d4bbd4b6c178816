"""The TypeScript simulator from Python: `grasp-perception sim serve` as a subprocess (JSON lines).

    with SimClient() as sim:
        sim.reset(seed=3, objects=10)
        hm = sim.observe()                      # heights (HxW metres), colors (HxWx3), observed (HxW)
        r = sim.act("grasp", x, y, z)           # success, outcome, scene_changed, objects_remaining
        sim.reset(seed=3, cell="cells/domain_randomized.yaml", width=640, height=480)  # a cell's scene
        obs = sim.observe(policy=spec, workspace_grid=True)   # grid over this scene's bin (obs["grid"])

One simulator for training, tests and the demo: the trainer never re-implements physics.
"""

import base64
import json
import os
import shutil
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SimError(RuntimeError):
    pass


class SimClient:
    def __init__(self, suction_model=None):
        """suction_model: the perception manifest for policies' suction channel (default: the package's
        models/fast_graspnext.json)."""
        cli = os.path.join(ROOT, "bin", "grasp-perception.js")
        extra = ["--suction-model", suction_model] if suction_model else []
        self.proc = subprocess.Popen([shutil.which("node") or "node", cli, "sim", "serve", *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.next_id = 0

    def request(self, cmd, **fields):
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SimError(f"simulator exited (code {self.proc.poll()}) during {cmd!r}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise SimError(reply.get("error", "unknown error"))
        return reply

    def reset(self, seed, objects=10, scenario=None, width=320, height=240, cell=None):
        """A new scene; with `cell` (a cell file) one of that cell's scenes, its camera at `width`.
        Returns objects_remaining, camera (width, height, fx, eye_height) and workspace (half extents)."""
        fields = {"seed": seed, "objects": objects, "width": width, "height": height}
        if scenario:
            fields["scenario"] = scenario
        if cell:
            fields["cell"] = cell
        return self.request("reset", **fields)

    def observe(self, grid=None, policy=None, workspace_grid=False):
        """The heightmap; with a policy spec (policy_models.policy_spec) also the network input
        (R x C x S x S) and the admissible-action masks, made by the runtime's own code. workspace_grid:
        the grid covers this scene's workspace (the bin floor) at the given grid's resolution and method."""
        fields = {"workspace_grid": True} if workspace_grid else {}
        if grid or policy:
            fields["grid"] = grid or policy["grid"]
        if policy:
            fields["policy"] = {k: v for k, v in policy.items() if k != "grid"}
        r = self.request("observe", **fields)
        h, w = r["height"], r["width"]
        obs = {
            "heights": np.frombuffer(base64.b64decode(r["heights"]), dtype="<f4").reshape(h, w),
            "colors": np.frombuffer(base64.b64decode(r["colors"]), dtype=np.uint8).reshape(h, w, 3),
            "observed": np.frombuffer(base64.b64decode(r["observed"]), dtype=np.uint8).reshape(h, w),
            "objects_remaining": r["objects_remaining"],
            "grid": r.get("grid"),
        }
        if policy:
            n, s = policy["rotations"], policy["size"]
            c = len(policy["channels"])
            obs["inputs"] = np.frombuffer(base64.b64decode(r["inputs"]), dtype="<f4").reshape(n, c, s, s)
            obs["push_mask"] = np.frombuffer(base64.b64decode(r["push_mask"]), dtype=np.uint8).reshape(n, s, s)
            obs["grasp_mask"] = np.frombuffer(base64.b64decode(r["grasp_mask"]), dtype=np.uint8).reshape(s, s)
        return obs

    def act_pixel(self, primitive, rotation, i, j):
        """Executes the action at rotated pixel (i, j) of the last policy observation."""
        return self.request("act_pixel", primitive=primitive, rotation=int(rotation), i=int(i), j=int(j))

    def act(self, primitive, x, y, z, angle=0.0, push_length=0.1):
        return self.request("act", primitive=primitive, x=x, y=y, z=z, angle=angle, push_length=push_length)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.request("quit")
            except (SimError, BrokenPipeError):
                pass
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
