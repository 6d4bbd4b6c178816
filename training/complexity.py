"""Parameter and multiply-accumulate counts of a network at a fixed input size.

GFLOPs here follow the convention of the papers' tables (fvcore/thop): one multiply-accumulate = one
FLOP. Counted layers: Conv2d (incl. grouped/depthwise) and Linear; the rest (BN folded at export,
activations, resize, pooling) is memory traffic, not arithmetic worth counting.
"""

import torch
import torch.nn as nn


def count_params(model):
    return int(sum(p.numel() for p in model.parameters()))


def count_macs(model, input_shape):
    macs = [0]

    def conv_hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        macs[0] += out.numel() * k

    def linear_hook(m, inp, out):
        macs[0] += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return int(macs[0])
