"""Quantization-aware training that mirrors quantize.py's int8 scheme, so the QAT weights are the ones
the QDQ export will carry:
- batch norm folded into each conv first (the deployed graph has no BN);
- weights fake-quantized per output channel, symmetric int8 [-127, 127];
- activations fake-quantized per tensor, asymmetric uint8, range tracked by an EMA of min/max
  (widened to include 0): the network input and every conv output after its ReLU.
`export_mode(model)` turns the fake quantization off, leaving a plain fp32 graph (conv + bias + ReLU) that
quantize.py prepare/finalize turns into QDQ ONNX with ranges calibrated in onnxruntime.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def fold_bn(conv, bn):
    """A conv with bias equal to conv followed by bn (eval statistics)."""
    w = conv.weight.detach()
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros(w.shape[0])
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      conv.dilation, conv.groups, bias=True)
    fused.weight.data = w * scale.reshape(-1, 1, 1, 1)
    fused.bias.data = (bias - bn.running_mean) * scale + bn.bias.detach()
    return fused


class ActFakeQuant(nn.Module):
    def __init__(self, momentum=0.05):
        super().__init__()
        self.momentum = momentum
        self.enabled = True
        self.register_buffer("lo", torch.tensor(0.0))
        self.register_buffer("hi", torch.tensor(0.0))
        self.register_buffer("seen", torch.tensor(False))

    def forward(self, x):
        if not self.enabled:
            return x
        if self.training or not bool(self.seen):
            lo, hi = x.detach().min(), x.detach().max()
            if bool(self.seen):
                lo = self.lo + self.momentum * (lo - self.lo)
                hi = self.hi + self.momentum * (hi - self.hi)
            self.lo.copy_(torch.minimum(lo, torch.tensor(0.0)))
            self.hi.copy_(torch.maximum(hi, torch.tensor(1e-6)))
            self.seen.fill_(True)
        scale = float(self.hi - self.lo) / 255.0
        zp = int(min(255, max(0, round(-float(self.lo) / scale))))
        return torch.fake_quantize_per_tensor_affine(x, scale, zp, 0, 255)


class QatConv(nn.Module):
    """Folded conv with per-channel int8 fake-quantized weights, optional ReLU, then the output's fake
    quantization."""

    def __init__(self, conv, relu):
        super().__init__()
        self.conv = conv
        self.relu = relu
        self.out_fq = ActFakeQuant()
        self.enabled = True

    def forward(self, x):
        w = self.conv.weight
        if self.enabled:
            s = (w.detach().abs().amax(dim=(1, 2, 3)) / 127.0).clamp(min=1e-8)
            w = torch.fake_quantize_per_channel_affine(w, s, torch.zeros(len(s), dtype=torch.int32), 0, -127, 127)
        c = self.conv
        y = F.conv2d(x, w, c.bias, c.stride, c.padding, c.dilation, c.groups)
        if self.relu:
            y = F.relu(y)
        return self.out_fq(y) if self.enabled else y


def _convert(seq):
    """Sequential(conv, bn, relu) -> QatConv(folded, relu); a bare conv -> QatConv(conv with bias, no relu)."""
    if isinstance(seq, nn.Sequential) and len(seq) == 3 and isinstance(seq[1], nn.BatchNorm2d):
        return QatConv(fold_bn(seq[0], seq[1]), True)
    if isinstance(seq, nn.Conv2d):
        return QatConv(seq, False)
    raise TypeError(f"no QAT conversion for {type(seq).__name__}")


class QatPolicy(nn.Module):
    """PolicyReduced (trunk of conv-bn-relu blocks, 1x1 heads, x4 bilinear) with fake quantization."""

    is_qat = True

    def __init__(self, reduced):
        super().__init__()
        self.in_fq = ActFakeQuant()
        self.trunk = nn.Sequential(*[_convert(b) for b in reduced.trunk])
        self.heads = _convert(reduced.heads)

    def forward(self, x):
        q = self.heads(self.trunk(self.in_fq(x)))
        q = F.interpolate(q, scale_factor=4.0, mode="bilinear", align_corners=False)
        return q[:, :1], q[:, 1:]


def prepare_qat_model(reduced, sample):
    """A QAT copy of a trained PolicyReduced; `sample` (N x C x S x S) initialises the activation ranges."""
    reduced = copy.deepcopy(reduced).eval()
    q = QatPolicy(reduced)
    q.eval()
    with torch.no_grad():
        q(sample)
    q.train()
    return q


def export_mode(model):
    """Fake quantization off: the fp32 graph the QDQ exporter quantizes."""
    for m in model.modules():
        if isinstance(m, (ActFakeQuant, QatConv)):
            m.enabled = False
    return model.eval()
