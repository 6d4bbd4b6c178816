"""The elastic supernet: one set of weights from which any architecture of the space runs (docs/nas.md).

Weight sharing (OFA-style): a subnet uses the first `width` output channels of every layer, the first
`depth` blocks of every stage, the centre k x k of every depthwise kernel, the first expansion x width
channels of a block's expanded layer; BN statistics and affine parameters are sliced the same way.

`GraspSupernet(space)` allocates the space's largest sizes; `set_active(arch)` selects a subnet.
`build_subnet(arch)` is the same network built alone at exactly the subnet's sizes (nothing sliced when it
runs, so it exports to plain ONNX Conv/BatchNorm with its own initializers), and
`subnet_state_dict(supernet, arch)` copies the shared weights into it. Module order and structure follow
training/perception_models.py, so fast_graspnext's weights load into its subnet one to one.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

import nas.paths  # noqa: F401  (training/ on sys.path)
from complexity import count_macs
from nas.space import HEADS, max_arch
from perception_models import IN_CHANNELS, NUM_PROTOS, OUTPUT_NAMES, STRIDE


class EConv(nn.Conv2d):
    """Conv2d with elastic output channels, input channels (from the input), kernel (centre crop) and stride.

    kind: 'dense' (groups 1), 'depthwise' (groups = channels), 'grouped8' (8 input channels per group, 4
    output channels per group: the attention condenser's embedding, groups = out/4).
    """

    def __init__(self, cin, cout, k=1, stride=1, kind="dense", bias=False):
        groups = {"dense": 1, "depthwise": cin, "grouped8": max(1, cout // 4)}[kind]
        super().__init__(cin, cout, k, stride, k // 2, groups=groups, bias=bias)
        self.kind = kind
        self.out_active, self.k_active, self.stride_active = cout, k, stride

    def forward(self, x):
        cin = x.shape[1]
        if self.kind == "depthwise":
            cout, w_in, groups = cin, 1, cin
        elif self.kind == "grouped8":
            cout, w_in = self.out_active, self.weight.shape[1]
            groups = max(1, cout // 4)
        else:
            cout, w_in, groups = self.out_active, cin, 1
        k = self.k_active
        w, b = self.weight, self.bias
        if tuple(w.shape) != (cout, w_in, k, k):
            off = (w.shape[2] - k) // 2
            w = w[:cout, :w_in, off:off + k, off:off + k]
            b = None if b is None else b[:cout]
        return F.conv2d(x, w, b, self.stride_active, k // 2, 1, groups)


class EBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d over the first C channels of its statistics and affine parameters (C from the input)."""

    def forward(self, x):
        c = x.shape[1]
        if c == self.num_features:
            return super().forward(x)
        factor = 0.0
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight[:c], self.bias[:c],
                            use_batch, factor, self.eps)


def conv_bn_act(cin, cout, k=1, stride=1, kind="dense", act=True):
    """Same structure and names as training/blocks.conv_bn_act (0: conv, 1: BN, 2: ReLU)."""
    layers = [EConv(cin, cout, k, stride, kind), EBatchNorm(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _set(seq, out=None, k=None, stride=None):
    conv = seq[0]
    if out is not None:
        conv.out_active = out
    if k is not None:
        conv.k_active = k
    if stride is not None:
        conv.stride_active = stride


class Sep(nn.Sequential):
    """Depthwise k x k then pointwise 1x1, each + BN + ReLU (blocks.separable, elastic)."""

    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__(conv_bn_act(cin, cin, k, stride, "depthwise"), conv_bn_act(cin, cout, 1))

    def activate(self, cout, k=None):
        _set(self[0], k=k)
        _set(self[1], out=cout)


class BlurPool(nn.Module):
    """blocks.BlurPool (binomial [1, 2, 1], reflect pad, stride 2) over the first C channels."""

    def __init__(self, channels):
        super().__init__()
        a = torch.tensor([1.0, 2.0, 1.0])
        k = a[:, None] * a[None, :]
        self.register_buffer("kernel", (k / k.sum())[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x):
        c = x.shape[1]
        k = self.kernel if self.kernel.shape[0] == c else self.kernel[:c]
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), k, stride=2, groups=c)


class Down(nn.Module):
    """Stage entry at stride 2. Anti-aliased (blocks.AadsDown): depthwise k x k (s1) -> BlurPool (s2) -> 1x1;
    plain: depthwise k x k (s2) -> 1x1. Both share the depthwise and pointwise weights."""

    def __init__(self, cin, cout, k, blur):
        super().__init__()
        self.spatial = conv_bn_act(cin, cin, k, 1 if blur else 2, "depthwise")
        self.blur = BlurPool(cin) if blur else None
        self.mix = conv_bn_act(cin, cout, 1)
        self.antialias = blur

    def activate(self, cout, k, antialias):
        if antialias and self.blur is None:
            raise ValueError("this network was built without anti-aliased downsampling")
        self.antialias = bool(antialias)
        _set(self.spatial, k=k, stride=1 if antialias else 2)
        _set(self.mix, out=cout)

    def forward(self, x):
        x = self.spatial(x)
        if self.antialias:
            x = self.blur(x)
        return self.mix(x)


class Mix(nn.Module):
    """A block's spatial mixer: [1x1 expand to e x C] -> depthwise k x k -> 1x1 back to C (each + BN + ReLU).
    With expansion 1 it is blocks.separable(C, C) (no expand layer)."""

    def __init__(self, c, k, e):
        super().__init__()
        self.expand = conv_bn_act(c, c * e, 1) if e > 1 else None
        self.dw = conv_bn_act(c * e, c * e, k, 1, "depthwise")
        self.pw = conv_bn_act(c * e, c, 1)
        self.e = e

    def activate(self, c, k, e):
        if e > 1 and self.expand is None:
            raise ValueError("this network was built without an expansion layer")
        self.e = e
        if self.expand is not None:
            _set(self.expand, out=c * e)
        _set(self.dw, k=k)
        _set(self.pw, out=c)

    def forward(self, x):
        if self.e > 1:
            x = self.expand(x)
        return self.pw(self.dw(x))


class Condenser(nn.Module):
    """blocks.AttentionCondenser (embedding C/2, grouped), elastic in C."""

    def __init__(self, c):
        super().__init__()
        e = c // 2
        self.condense = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.embed = nn.Sequential(EConv(c, e, 3, 1, "grouped8", bias=True), nn.ReLU(inplace=True),
                                   EConv(e, e, 1, bias=True), nn.ReLU(inplace=True))
        self.expand = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), EConv(e, c, 1, bias=True))
        self.scale = nn.Parameter(torch.ones(1, c, 1, 1))

    def activate(self, c):
        self.embed[0].out_active = c // 2
        self.embed[2].out_active = c // 2
        self.expand[1].out_active = c

    def forward(self, v):
        a = self.expand(self.embed(self.condense(v)))
        if a.shape[-2:] != v.shape[-2:]:
            a = a[..., : v.shape[-2], : v.shape[-1]]
        s = self.scale if self.scale.shape[1] == v.shape[1] else self.scale[:, : v.shape[1]]
        return v * torch.sigmoid(a) * s + v


class Block(nn.Module):
    """x + BN(condenser(mix(x))) (blocks.CondenserBlock); the condenser is optional."""

    def __init__(self, c, k, e, attention):
        super().__init__()
        self.mix = Mix(c, k, e)
        self.attend = Condenser(c) if attention else None
        self.norm = EBatchNorm(c)
        self.attention = bool(attention)

    def activate(self, c, k, e, attention):
        if attention and self.attend is None:
            raise ValueError("this network was built without attention condensers")
        self.attention = bool(attention)
        self.mix.activate(c, k, e)
        if self.attend is not None:
            self.attend.activate(c)

    def forward(self, x):
        y = self.mix(x)
        if self.attention:
            y = self.attend(y)
        return x + self.norm(y)


class Stage(nn.Module):
    def __init__(self, cin, spec, down):
        super().__init__()
        c, k, e = spec["width"], spec["kernel"], spec["expansion"]
        self.down = Down(cin, c, k, spec["antialias"]) if down else None
        self.blocks = nn.ModuleList(Block(c, k, e, spec["attention"]) for _ in range(spec["depth"]))
        self.depth = spec["depth"]

    def activate(self, spec):
        if spec["depth"] > len(self.blocks):
            raise ValueError(f"depth {spec['depth']} > the {len(self.blocks)} blocks built")
        self.depth = spec["depth"]
        if self.down is not None:
            self.down.activate(spec["width"], spec["kernel"], spec["antialias"])
        for b in self.blocks[: self.depth]:
            b.activate(spec["width"], spec["kernel"], spec["expansion"], spec["attention"])

    def forward(self, x):
        if self.down is not None:
            x = self.down(x)
        for b in self.blocks[: self.depth]:
            x = b(x)
        return x


class Tower(nn.Module):
    """A head's tower: `depth` separable blocks, the first from the FPN width to the head width."""

    def __init__(self, cin, spec):
        super().__init__()
        w = spec["width"]
        self.layers = nn.ModuleList(Sep(cin if i == 0 else w, w) for i in range(spec["depth"]))
        self.depth = spec["depth"]

    def activate(self, spec):
        if spec["depth"] > len(self.layers):
            raise ValueError(f"head depth {spec['depth']} > the {len(self.layers)} layers built")
        self.depth = spec["depth"]
        for layer in self.layers[: self.depth]:
            layer.activate(spec["width"])

    def forward(self, x):
        for layer in self.layers[: self.depth]:
            x = layer(x)
        return x


class GraspSupernet(nn.Module):
    """Backbone (stem, 3 stages) -> FPN -> heads, elastic; the outputs of perception_models.GraspNet."""

    def __init__(self, arch):
        """`arch`: the sizes to allocate (the space's max_arch for a supernet, a subnet's own for build_subnet)."""
        super().__init__()
        s2, s3, s4 = arch["stages"]
        sw = arch["stem_width"]
        self.stem = nn.Sequential(conv_bn_act(IN_CHANNELS, sw, 3, 2), Sep(sw, s2["width"], 3, 2))
        self.stage2 = Stage(s2["width"], s2, down=False)
        self.stage3 = Stage(s2["width"], s3, down=True)
        self.stage4 = Stage(s3["width"], s4, down=True)
        f = arch["fpn_width"]
        self.lateral = nn.ModuleList(conv_bn_act(s["width"], f, 1, act=False) for s in arch["stages"])
        self.smooth = nn.ModuleList(Sep(f, f) for _ in arch["stages"])
        h = arch["heads"]
        k = NUM_PROTOS
        wi, wp, wd = h["instance"]["width"], h["proto"]["width"], h["dense"]["width"]
        self.instance_tower = Tower(f, h["instance"])
        self.center = EConv(wi, 1, 1, bias=True)
        self.box = EConv(wi, 4, 1, bias=True)
        self.occlusion = EConv(wi, 1, 1, bias=True)
        self.coeffs = EConv(wi, 2 * k, 1, bias=True)
        self.proto_tower = Tower(f, h["proto"])
        self.proto_out = EConv(wp, 2 * k, 1, bias=True)
        self.proto_refine = EConv(2 * k, 2 * k, 3, 1, "depthwise", bias=True)
        self.dense_tower = Tower(f, h["dense"])
        self.com = EConv(wd, 1, 1, bias=True)
        self.suction = EConv(wd, 1, 1, bias=True)
        for head in (self.center, self.com):
            nn.init.constant_(head.bias, -4.6)
        self.k = k
        self.allocated = copy.deepcopy(arch)
        self.arch = copy.deepcopy(arch)

    def set_active(self, arch):
        """Select the subnet `arch` (a dict of the space; sizes within what was allocated)."""
        s2, s3, s4 = arch["stages"]
        _set(self.stem[0], out=arch["stem_width"])
        self.stem[1].activate(s2["width"])
        for stage, spec in zip((self.stage2, self.stage3, self.stage4), arch["stages"]):
            stage.activate(spec)
        for lat in self.lateral:
            _set(lat, out=arch["fpn_width"])
        for sm in self.smooth:
            sm.activate(arch["fpn_width"])
        for tower, h in zip((self.instance_tower, self.proto_tower, self.dense_tower), HEADS):
            tower.activate(arch["heads"][h])
        self.arch = copy.deepcopy(arch)
        return self

    def forward_dict(self, x):
        c2 = self.stage2(self.stem(x))
        c3 = self.stage3(c2)
        c4 = self.stage4(c3)
        p4 = self.lateral[2](c4)
        p3 = self.lateral[1](c3) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        p2 = self.lateral[0](c2) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
        p2, p3, p4 = self.smooth[0](p2), self.smooth[1](p3), self.smooth[2](p4)
        p = p2 + F.interpolate(p3, scale_factor=2.0, mode="nearest") + F.interpolate(p4, scale_factor=4.0, mode="nearest")
        t = self.instance_tower(p)
        coeffs = torch.tanh(self.coeffs(t))
        q = F.interpolate(self.proto_out(self.proto_tower(p)), scale_factor=2.0, mode="bilinear", align_corners=False)
        protos = self.proto_refine(F.relu(q))
        d = self.dense_tower(p)
        suction = torch.sigmoid(F.interpolate(self.suction(d), scale_factor=float(STRIDE), mode="bilinear",
                                              align_corners=False))
        return {
            "center_heatmap": torch.sigmoid(self.center(t)),
            "box_ltrb": F.softplus(self.box(t)) * STRIDE,
            "occlusion": torch.sigmoid(self.occlusion(t)),
            "visible_coeffs": coeffs[:, : self.k],
            "amodal_coeffs": coeffs[:, self.k:],
            "visible_protos": protos[:, : self.k],
            "amodal_protos": protos[:, self.k:],
            "com_heatmap": torch.sigmoid(self.com(d)),
            "suction": suction,
        }

    def forward(self, x):
        out = self.forward_dict(x)
        return tuple(out[n] for n in OUTPUT_NAMES)


def build_supernet(space):
    return GraspSupernet(max_arch(space)).set_active(max_arch(space))


def macs_of(arch):
    """Multiply-accumulates of one subnet at its own input size (batch 1)."""
    w, h = arch["resolution"]
    return count_macs(build_subnet(arch), (1, IN_CHANNELS, h, w))


def build_subnet(arch):
    """The subnet built alone at exactly its sizes (export, fine-tuning, complexity counts)."""
    return GraspSupernet(arch).set_active(arch)


def _slice_like(t, shape):
    """The first entries of dims 0-1 and the centre of dims 2-3 (kernels) of a supernet tensor."""
    if tuple(t.shape) == tuple(shape):
        return t.clone()
    idx = []
    for d, (have, want) in enumerate(zip(t.shape, shape)):
        if d >= 2:
            off = (have - want) // 2
            idx.append(slice(off, off + want))
        else:
            idx.append(slice(0, want))
    return t[tuple(idx)].clone()


def subnet_state_dict(supernet, arch, subnet=None):
    """The shared weights of `arch`, shaped for build_subnet(arch) (every tensor sliced as the supernet runs it)."""
    subnet = subnet or build_subnet(arch)
    src = supernet.state_dict()
    return {k: _slice_like(src[k], v.shape) for k, v in subnet.state_dict().items()}


def extract_subnet(supernet, arch):
    sub = build_subnet(arch)
    sub.load_state_dict(subnet_state_dict(supernet, arch, sub))
    return sub
