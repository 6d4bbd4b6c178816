"""Mutual and decoupled knowledge distillation for the dense multi-task outputs (docs/nas.md#distillation).

Decoupled KD (Zhao et al. 2022) splits a classifier's KL into a target-class term (TCKD: the binary split
of probability between the true class and the rest) and a non-target term (NCKD: the distribution among the
other classes). Our outputs are dense, so the "classes" are pixels: a map's logits, softmaxed over its
pixels (temperature T), are a distribution over where the object is.
- centre and centre-of-mass heatmaps: per image over the stride-4 grid; target pixels = the ground-truth
  peak cells (heatmap = 1). TCKD: mass on the peaks vs elsewhere; NCKD: the teacher's ranking of the other
  cells (near misses, neighbours of a peak, the objects it suspects).
- visible and amodal mask logits (coefficients . prototypes at each ground-truth instance's cell): per
  instance over the prototype pixels inside its padded box (the mask loss's crop); target pixels = the
  instance's ground-truth mask. NCKD carries where the teacher extends the object beyond the label
  (amodal completion, soft edges).
loss = T^2 (alpha TCKD + beta NCKD), alpha 1.0, beta 0.5 (RAM-NAS). Regression outputs are distilled
directly: box sides (L1 at the peak cells, in units of BOX_SCALE), occlusion (BCE to the teacher's
probability at the peak cells) and the suction map (MSE, weight as in the task loss).

Teachers are other subnets at other input sizes: their maps are resized (bilinear) to the student's grid
and box sides rescaled to the student's pixels; the mutual teacher of each sampled subnet is the mean of
the other sampled subnets' (detached) outputs.
"""

import torch
import torch.nn.functional as F

import nas.paths  # noqa: F401
from losses import BOX_SCALE, LOSS_WEIGHTS, _gather
from training_data import PROTO_STRIDE, peak_cells

NEG = -1e4
EPS = 1e-8


def logit(p):
    p = p.clamp(1e-4, 1 - 1e-4)
    return torch.log(p) - torch.log1p(-p)


def dense_dkd(student, teacher, target, region, temperature=1.0, alpha=1.0, beta=0.5):
    """Decoupled KD over pixels. student, teacher: N x P logits; target, region: N x P bool (target pixels;
    pixels that take part). Rows with no target or no non-target pixel in the region are skipped."""
    tgt = target & region
    non = region & ~target
    rows = tgt.any(1) & non.any(1)
    if not bool(rows.any()):
        return student.sum() * 0.0
    s, t, tgt, non, region = student[rows], teacher[rows], tgt[rows], non[rows], region[rows]
    s = (s / temperature).masked_fill(~region, NEG)
    t = (t / temperature).masked_fill(~region, NEG)
    ps, pt = F.softmax(s, 1), F.softmax(t, 1)
    bs_t = (ps * tgt).sum(1).clamp(EPS, 1 - EPS)
    bt_t = (pt * tgt).sum(1).clamp(EPS, 1 - EPS)
    tckd = bt_t * (bt_t.log() - bs_t.log()) + (1 - bt_t) * ((1 - bt_t).log() - (1 - bs_t).log())
    ls_nt = F.log_softmax(s.masked_fill(~non, NEG), 1)
    lt_nt = F.log_softmax(t.masked_fill(~non, NEG), 1)
    nckd = (lt_nt.exp() * (lt_nt - ls_nt)).masked_fill(~non, 0.0).sum(1)
    return ((alpha * tckd + beta * nckd) * temperature ** 2).mean()


def mask_logits(coeffs, protos, cy, cx):
    """B x M x Hp x Wp instance mask logits at the instances' cells (as losses._mask_loss forms them)."""
    return torch.einsum("bmk,bkhw->bmhw", _gather(coeffs, cy, cx), protos)


def mask_region(boxes, ph, pw):
    """The mask loss's crop: prototype pixels inside each (padded) box, B x M x Hp x Wp bool."""
    dev = boxes.device
    xs = (torch.arange(pw, dtype=torch.float32, device=dev) + 0.5) * PROTO_STRIDE
    ys = (torch.arange(ph, dtype=torch.float32, device=dev) + 0.5) * PROTO_STRIDE
    pad = PROTO_STRIDE
    inx = (xs.view(1, 1, 1, pw) >= boxes[..., 0, None, None] - pad) & (xs.view(1, 1, 1, pw) <= boxes[..., 2, None, None] + pad)
    iny = (ys.view(1, 1, ph, 1) >= boxes[..., 1, None, None] - pad) & (ys.view(1, 1, ph, 1) <= boxes[..., 3, None, None] + pad)
    return inx & iny


def views(out, b):
    """What a subnet teaches, at its own resolution and for its own batch (instances at its peak cells)."""
    gh, gw = out["center_heatmap"].shape[-2:]
    cy, cx = peak_cells(b["boxes"], gh, gw)
    return {
        "center": logit(out["center_heatmap"]), "com": logit(out["com_heatmap"]),
        "box": out["box_ltrb"], "occlusion": out["occlusion"], "suction": out["suction"],
        "visible": mask_logits(out["visible_coeffs"], out["visible_protos"], cy, cx),
        "amodal": mask_logits(out["amodal_coeffs"], out["amodal_protos"], cy, cx),
        "width": b["rgb"].shape[-1],
    }


def _resize(x, size):
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def teacher_for(student, others):
    """Mean of the other subnets' views, detached, on the student's grids (box sides in the student's pixels)."""
    out = {}
    for k in ("center", "com", "box", "occlusion", "suction", "visible", "amodal"):
        size = student[k].shape[-2:]
        maps = []
        for o in others:
            m = _resize(o[k].detach(), size)
            if k == "box":
                m = m * (student["width"] / o["width"])
            maps.append(m)
        out[k] = torch.stack(maps).mean(0)
    return out


def distillation_loss(student, teacher, b, temperature=1.0, alpha=1.0, beta=0.5):
    """The student's KD loss against a teacher (both `views`-shaped), and its parts."""
    n = student["center"].shape[0]
    valid = b["valid"].float()
    gh, gw = student["center"].shape[-2:]
    cy, cx = peak_cells(b["boxes"], gh, gw)
    parts = {}
    for k, gt in (("center", b["center"]), ("com", b["com"])):
        s, t = student[k].reshape(n, -1), teacher[k].reshape(n, -1)
        target = gt.reshape(n, -1) >= 1.0
        parts[k] = dense_dkd(s, t, target, torch.ones_like(target), temperature, alpha, beta)
    ph, pw = student["visible"].shape[-2:]
    region = mask_region(b["boxes"], ph, pw) & b["valid"][..., None, None]
    for k, gt in (("visible", b["vis"]), ("amodal", b["amo"])):
        m = student[k].shape[1]
        parts[k] = dense_dkd(student[k].reshape(n * m, -1), teacher[k].reshape(n * m, -1),
                             gt.reshape(n * m, -1) > 0, region.reshape(n * m, -1), temperature, alpha, beta)
    denom = valid.sum().clamp(min=1.0)
    sb, tb = _gather(student["box"], cy, cx), _gather(teacher["box"], cy, cx)
    parts["box"] = ((sb - tb).abs().sum(-1) / BOX_SCALE * valid).sum() / denom
    so = _gather(student["occlusion"], cy, cx)[..., 0].clamp(1e-4, 1 - 1e-4)
    to = _gather(teacher["occlusion"], cy, cx)[..., 0].clamp(0, 1)
    parts["occlusion"] = (F.binary_cross_entropy(so, to, reduction="none") * valid).sum() / denom
    parts["suction"] = LOSS_WEIGHTS["suction"] * F.mse_loss(student["suction"], teacher["suction"])
    return sum(parts.values()), {k: float(v) for k, v in parts.items()}
