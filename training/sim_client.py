"""The TypeScript simulator from Python: `grasp-perception sim serve` as a subprocess (JSON lines).

    with SimClient() as sim:
        sim.reset(seed=3, objects=10)
        hm = sim.observe()                      # heights (HxW metres), colors (HxWx3), observed (HxW)
        r = sim.act("grasp", x, y, z)           # success, outcome, scene_changed, objects_remaining

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
    def __init__(self):
        cli = os.path.join(ROOT, "bin", "grasp-perception.js")
        self.proc = subprocess.Popen([shutil.which("node") or "node", cli, "sim", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
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

    def reset(self, seed, objects=10, scenario=None):
        fields = {"seed": seed, "objects": objects}
        if scenario:
            fields["scenario"] = scenario
        return self.request("reset", **fields)

    def observe(self, grid=None):
        r = self.request("observe", **({"grid": grid} if grid else {}))
        h, w = r["height"], r["width"]
        return {
            "heights": np.frombuffer(base64.b64decode(r["heights"]), dtype="<f4").reshape(h, w),
            "colors": np.frombuffer(base64.b64decode(r["colors"]), dtype=np.uint8).reshape(h, w, 3),
            "observed": np.frombuffer(base64.b64decode(r["observed"]), dtype=np.uint8).reshape(h, w),
            "objects_remaining": r["objects_remaining"],
        }

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
