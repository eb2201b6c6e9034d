"""Training losses (docs/DESIGN.md D7): clamped backbone FAPE (AF2 Alg. 28), distogram
cross-entropy, pLDDT cross-entropy against CA-lDDT."""
import torch
import torch.nn.functional as F

from . import rigid
from .model.heads import DIST_BINS, PLDDT_BINS, distogram_edges

FAPE_CLAMP = 10.0
FAPE_SCALE = 10.0


def fape(R_pred, t_pred, x_pred, R_true, t_true, x_true, mask=None, clamp=FAPE_CLAMP, eps=1e-4):
    """Frame-aligned point error: every atom seen from every frame.

    R [B, F, 3, 3], t [B, F, 3] frames; x [B, P, 3] atoms; mask [B, L] applies to frames and,
    repeated per atom, to points when P is a multiple of F. Returns a scalar in units of 10 A.
    """
    local_p = torch.einsum("bfyx,bfpy->bfpx", R_pred, x_pred[:, None] - t_pred[:, :, None])
    local_t = torch.einsum("bfyx,bfpy->bfpx", R_true, x_true[:, None] - t_true[:, :, None])
    d = torch.sqrt(((local_p - local_t) ** 2).sum(-1) + eps)
    if clamp is not None:
        d = d.clamp(max=clamp)
    if mask is None:
        return d.mean() / FAPE_SCALE
    per_atom = x_pred.shape[1] // mask.shape[1]
    pm = mask.repeat_interleave(per_atom, dim=1)
    w = mask[:, :, None] * pm[:, None, :]
    return (d * w).sum() / (w.sum() * FAPE_SCALE + 1e-8)


def ca_lddt(ca_pred, ca_true, mask=None, cutoff=15.0):
    """Per-residue CA-lDDT in [0, 1]: fraction of preserved distances (thresholds .5, 1, 2, 4 A)
    over pairs closer than `cutoff` in the true structure."""
    dt = torch.cdist(ca_true, ca_true)
    dp = torch.cdist(ca_pred, ca_pred)
    L = ca_true.shape[1]
    pair = (dt < cutoff).float() * (1.0 - torch.eye(L, device=ca_true.device))
    if mask is not None:
        pair = pair * mask[:, :, None] * mask[:, None, :]
    err = (dt - dp).abs()
    score = sum((err < thr).float() for thr in (0.5, 1.0, 2.0, 4.0)) / 4.0
    return (score * pair).sum(-1) / (pair.sum(-1) + 1e-8)


def distogram_loss(logits, xyz_true, mask=None):
    cb = rigid.virtual_cb(xyz_true[..., 0, :], xyz_true[..., 1, :], xyz_true[..., 2, :])
    d = torch.cdist(cb, cb)
    target = torch.bucketize(d, distogram_edges().to(d.device))
    ce = F.cross_entropy(logits.float().reshape(-1, DIST_BINS), target.reshape(-1), reduction="none")
    ce = ce.view(d.shape)
    if mask is None:
        return ce.mean()
    w = mask[:, :, None] * mask[:, None, :]
    return (ce * w).sum() / (w.sum() + 1e-8)


def plddt_loss(logits, ca_pred, ca_true, mask=None):
    lddt = ca_lddt(ca_pred.detach().float(), ca_true, mask)
    target = (lddt * PLDDT_BINS).long().clamp(0, PLDDT_BINS - 1)
    ce = F.cross_entropy(logits.float().reshape(-1, PLDDT_BINS), target.reshape(-1), reduction="none")
    ce = ce.view(target.shape)
    if mask is None:
        return ce.mean()
    return (ce * mask).sum() / (mask.sum() + 1e-8)


def total_loss(out, xyz_true, mask=None):
    """Weighted sum (D7) and its parts. xyz_true [B, L, 3 (N, CA, C), 3]."""
    B, L = xyz_true.shape[:2]
    R_true, t_true = rigid.frames_from_backbone(xyz_true[..., 0, :], xyz_true[..., 1, :], xyz_true[..., 2, :])
    x_true = xyz_true.reshape(B, L * 3, 3)
    Rs, ts = out["rotations"].float(), out["translations"].float()
    faps = []
    for R, t in zip(Rs, ts):
        x = rigid.backbone_atoms(R, t).reshape(B, L * 3, 3)
        faps.append(fape(R, t, x, R_true, t_true, x_true, mask))
    fape_final = faps[-1]
    fape_aux = torch.stack(faps[:-1]).mean() if len(faps) > 1 else fape_final
    dist = distogram_loss(out["distogram"], xyz_true, mask)
    ca_pred = out["atoms"][..., 1, :].float()
    pl = plddt_loss(out["plddt_logits"], ca_pred, xyz_true[..., 1, :], mask)
    loss = fape_final + 0.5 * fape_aux + 0.3 * dist + 0.01 * pl
    return loss, {"fape": fape_final.item(), "fape_aux": fape_aux.item(), "dist": dist.item(), "plddt": pl.item()}
