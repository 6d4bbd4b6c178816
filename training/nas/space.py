"""The search space and its fixed-length encoding (docs/nas.md#search-space).

An architecture is a plain dict (what the manifest's `nas.arch` holds):

    {"resolution": [W, H], "stem_width": 8,
     "stages": [{"width", "depth", "kernel", "expansion", "attention", "antialias"} x 3],   # strides 4, 8, 16
     "fpn_width": 32,
     "heads": {"instance": {"width", "depth"}, "proto": {...}, "dense": {...}}}

Its encoding is one choice index per gene, in GENE order (27 genes for the default space): the same length
for every architecture, so surrogates and NSGA-II see fixed-length integer vectors.
"""

import json
import os

SPACES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces")
DEFAULT_SPACE = os.path.join(SPACES, "default.json")
STAGE_GENES = ("width", "depth", "kernel", "expansion", "attention", "antialias")
STAGE_CHOICES = {"width": "widths", "depth": "depths", "kernel": "kernels", "expansion": "expansions",
                 "attention": "attention", "antialias": "antialias"}
HEADS = ("instance", "proto", "dense")

# training/perception_models.py's fast_graspnext at input contract v2's 192x144 (training/pipeline.py INPUT_V2).
FAST_GRASPNEXT = {
    "resolution": [192, 144], "stem_width": 8,
    "stages": [
        {"width": 24, "depth": 1, "kernel": 3, "expansion": 1, "attention": 1, "antialias": 0},
        {"width": 48, "depth": 2, "kernel": 3, "expansion": 1, "attention": 1, "antialias": 1},
        {"width": 96, "depth": 3, "kernel": 3, "expansion": 1, "attention": 1, "antialias": 1},
    ],
    "fpn_width": 32,
    "heads": {h: {"width": 32, "depth": 1} for h in HEADS},
}


class SpaceError(ValueError):
    pass


def load_space(path=DEFAULT_SPACE):
    """A space file (JSON, training/nas/spaces/*.json), checked."""
    try:
        with open(path) as f:
            space = json.load(f)
    except (OSError, ValueError) as e:
        raise SpaceError(f"{path}: not a readable search space ({e})")
    space["file"] = os.path.abspath(path)
    for w, h in space["resolutions"]:
        if w * 3 != h * 4 or w % 16 or h % 16:
            raise SpaceError(f"{path}: resolution {w}x{h} must be 4:3 with both sides multiples of 16")
    if len(space["stages"]) != 3:
        raise SpaceError(f"{path}: needs 3 stages (strides 4, 8, 16)")
    widths = [w for s in space["stages"] for w in s["widths"]] + space["stem_widths"]
    if any(w % 8 for w in widths):
        raise SpaceError(f"{path}: stage widths must be multiples of 8 (the attention condenser's grouped embedding)")
    return space


def genes(space):
    """[(gene name, choices)] in encoding order."""
    out = [("resolution", [list(r) for r in space["resolutions"]]), ("stem_width", space["stem_widths"])]
    for i, st in enumerate(space["stages"]):
        out += [(f"stage{i + 2}.{g}", st[STAGE_CHOICES[g]]) for g in STAGE_GENES]
    out.append(("fpn_width", space["fpn_widths"]))
    for h in HEADS:
        out += [(f"{h}.width", space["heads"][h]["widths"]), (f"{h}.depth", space["heads"][h]["depths"])]
    return out


def _values(arch):
    vals = [list(arch["resolution"]), arch["stem_width"]]
    for st in arch["stages"]:
        vals += [st[g] for g in STAGE_GENES]
    vals.append(arch["fpn_width"])
    for h in HEADS:
        vals += [arch["heads"][h]["width"], arch["heads"][h]["depth"]]
    return vals


def encode(space, arch):
    """Architecture dict -> list of choice indices; a value outside the space raises SpaceError."""
    enc = []
    for (name, choices), v in zip(genes(space), _values(arch)):
        if v not in choices:
            raise SpaceError(f"{space.get('file', 'space')}: {name} = {v} is not one of {choices}")
        enc.append(choices.index(v))
    return enc


def decode(space, encoding):
    """List of choice indices -> architecture dict."""
    g = genes(space)
    if len(encoding) != len(g):
        raise SpaceError(f"encoding has {len(encoding)} genes, the space {space.get('name')} has {len(g)}")
    vals = []
    for (name, choices), i in zip(g, encoding):
        if not 0 <= int(i) < len(choices):
            raise SpaceError(f"{name}: choice {i} is outside 0..{len(choices) - 1}")
        vals.append(choices[int(i)])
    arch = {"resolution": list(vals[0]), "stem_width": vals[1], "stages": []}
    k = 2
    for _ in space["stages"]:
        arch["stages"].append(dict(zip(STAGE_GENES, vals[k:k + len(STAGE_GENES)])))
        k += len(STAGE_GENES)
    arch["fpn_width"] = vals[k]
    k += 1
    arch["heads"] = {}
    for h in HEADS:
        arch["heads"][h] = {"width": vals[k], "depth": vals[k + 1]}
        k += 2
    return arch


def cardinalities(space):
    return [len(c) for _, c in genes(space)]


def sample(space, rng):
    """A uniformly random architecture (rng: random.Random or numpy Generator with integers/randrange)."""
    pick = rng.randrange if hasattr(rng, "randrange") else (lambda n: int(rng.integers(n)))
    return decode(space, [pick(n) for n in cardinalities(space)])


def extreme(space, largest):
    """The largest (every choice at its last, the space's largest value) or smallest architecture."""
    return decode(space, [n - 1 if largest else 0 for n in cardinalities(space)])


def features(space, encoding):
    """Surrogate features: each choice index scaled to [0, 1] (choices are listed in increasing order)."""
    return [i / max(1, n - 1) for i, n in zip(encoding, cardinalities(space))]


def max_arch(space):
    """The per-gene maxima: the supernet's allocated sizes."""
    return extreme(space, True)


def name_of(arch):
    """A short readable tag, e.g. r192-s8-24x1k3e1A-48x2k3e1AB-96x3k3e1AB-f32-i32x1-p32x1-d32x1."""
    st = "-".join(f"{s['width']}x{s['depth']}k{s['kernel']}e{s['expansion']}{'A' if s['attention'] else ''}"
                  f"{'B' if s['antialias'] else ''}" for s in arch["stages"])
    hd = "-".join(f"{h[0]}{arch['heads'][h]['width']}x{arch['heads'][h]['depth']}" for h in HEADS)
    return f"r{arch['resolution'][0]}-s{arch['stem_width']}-{st}-f{arch['fpn_width']}-{hd}"
