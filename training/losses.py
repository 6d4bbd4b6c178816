"""Multi-task loss of the perception nets (weights in LOSS_WEIGHTS; design in docs/models.md)."""

import torch
import torch.nn.functional as F

from training_data import PROTO_STRIDE, STRIDE, peak_cells

LOSS_WEIGHTS = {"center": 1.0, "box": 1.0, "occlusion": 1.0, "visible_mask": 1.0, "amodal_mask": 1.0,
                "com": 1.0, "suction": 10.0}
BOX_SCALE = 16.0  # L1 on box sides in units of 16 px: sides are 2-40 px at 160x128


def focal_loss(pred, gt, alpha=2.0, beta=4.0):
    """CenterNet's modified focal loss on sigmoid outputs against Gaussian-splatted targets."""
    p = pred.clamp(1e-4, 1 - 1e-4)
    pos = gt.ge(1.0).float()
    pos_loss = -((1 - p) ** alpha) * torch.log(p) * pos
    neg_loss = -((1 - gt) ** beta) * (p ** alpha) * torch.log(1 - p) * (1 - pos)
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def _gather(dense, cy, cx):
    """dense BxCxHxW at per-instance cells (BxM) -> BxMxC."""
    b, c, h, w = dense.shape
    idx = (cy * w + cx).unsqueeze(1).expand(b, c, cy.shape[1])
    return dense.reshape(b, c, h * w).gather(2, idx).permute(0, 2, 1)


def _mask_loss(coeffs, protos, cy, cx, target, boxes, valid):
    """BCE of sigmoid(coeffs . protos) against the instance mask, inside its (padded) amodal box."""
    c = _gather(coeffs, cy, cx)
    logits = torch.einsum("bmk,bkhw->bmhw", c, protos)
    _, _, ph, pw = protos.shape
    xs = (torch.arange(pw, dtype=torch.float32, device=protos.device) + 0.5) * PROTO_STRIDE
    ys = (torch.arange(ph, dtype=torch.float32, device=protos.device) + 0.5) * PROTO_STRIDE
    pad = PROTO_STRIDE
    inside_x = (xs.view(1, 1, 1, pw) >= boxes[..., 0, None, None] - pad) & (xs.view(1, 1, 1, pw) <= boxes[..., 2, None, None] + pad)
    inside_y = (ys.view(1, 1, ph, 1) >= boxes[..., 1, None, None] - pad) & (ys.view(1, 1, ph, 1) <= boxes[..., 3, None, None] + pad)
    crop = (inside_x & inside_y).float()
    bce = F.binary_cross_entropy_with_logits(logits, target.float(), reduction="none") * crop
    per_instance = bce.sum((2, 3)) / crop.sum((2, 3)).clamp(min=1.0)
    return (per_instance * valid).sum() / valid.sum().clamp(min=1.0)


def perception_loss(out, b):
    """Weighted sum and its parts, from the model's output dict and a training batch."""
    valid = b["valid"].float()
    gh, gw = out["center_heatmap"].shape[-2:]
    cy, cx = peak_cells(b["boxes"], gh, gw)
    xc, yc = (cx.float() + 0.5) * STRIDE, (cy.float() + 0.5) * STRIDE
    bx = b["boxes"]
    target_ltrb = torch.stack([xc - bx[..., 0], yc - bx[..., 1], bx[..., 2] - xc, bx[..., 3] - yc], -1).clamp(min=0)
    pred_ltrb = _gather(out["box_ltrb"], cy, cx)
    box = ((pred_ltrb - target_ltrb).abs().sum(-1) / BOX_SCALE * valid).sum() / valid.sum().clamp(min=1.0)
    occ_pred = _gather(out["occlusion"], cy, cx)[..., 0].clamp(1e-4, 1 - 1e-4)
    occ = (F.binary_cross_entropy(occ_pred, b["occluded"], reduction="none") * valid).sum() / valid.sum().clamp(min=1.0)
    parts = {
        "center": focal_loss(out["center_heatmap"], b["center"][:, None]),
        "box": box,
        "occlusion": occ,
        "visible_mask": _mask_loss(out["visible_coeffs"], out["visible_protos"], cy, cx, b["vis"], bx, valid),
        "amodal_mask": _mask_loss(out["amodal_coeffs"], out["amodal_protos"], cy, cx, b["amo"], bx, valid),
        "com": focal_loss(out["com_heatmap"], b["com"][:, None]),
        "suction": F.mse_loss(out["suction"], b["suction"].float()[:, None]),
    }
    total = sum(LOSS_WEIGHTS[k] * v for k, v in parts.items())
    return total, {k: float(v) for k, v in parts.items()}


def segmentation_class_weights(semantic, num_classes, power=0.5, cap=10.0):
    """Median-frequency class balancing, softened by `power`: objects are 0.1-4 % of a bin's pixels, and plain
    cross-entropy learns background and container only. Classes absent from the data keep weight 1."""
    freq = torch.bincount(semantic.flatten().long(), minlength=num_classes).double()
    freq = freq / freq.sum()
    present = freq > 0
    w = torch.ones(num_classes, dtype=torch.float64)
    w[present] = (freq[present].median() / freq[present]).pow(power).clamp(1.0 / cap, cap)
    return w.float()


def segmentation_loss(logits, b, class_weights=None):
    ce = F.cross_entropy(logits, b["semantic"], weight=class_weights)
    return ce, {"cross_entropy": float(ce)}
