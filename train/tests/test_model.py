"""Tests of the PyTorch model, losses and training loop (they can fail; see docs/DESIGN.md)."""
import math
import os

import torch

from webfold_train import rigid
from webfold_train.config import TINY, Config
from webfold_train.losses import ca_lddt, fape, total_loss
from webfold_train.model import WebFold


def random_rotation(gen):
    q = torch.randn(4, generator=gen, dtype=torch.float64)
    return rigid.quat_to_rot(*(q[1:] / q[0]).unbind(-1))


def helix(L):
    """Ideal-ish alpha-helical CA trace with N/C placed around it (used as a target)."""
    i = torch.arange(L, dtype=torch.float64)
    ang = i * math.radians(100.0)
    ca = torch.stack([2.3 * torch.cos(ang), 2.3 * torch.sin(ang), 1.5 * i], -1)
    n = ca + torch.tensor([-0.5, 1.0, -0.8], dtype=torch.float64)
    c = ca + torch.tensor([1.2, 0.3, 0.7], dtype=torch.float64)
    return torch.stack([n, ca, c], -2)


def test_frames_to_atoms_gives_ideal_geometry():
    gen = torch.Generator().manual_seed(0)
    R = torch.stack([random_rotation(gen) for _ in range(10)])
    t = torch.randn(10, 3, dtype=torch.float64, generator=gen) * 20
    x = rigid.backbone_atoms(R, t)
    n, ca, c = x[:, 0], x[:, 1], x[:, 2]
    assert torch.allclose((n - ca).norm(dim=-1), torch.full((10,), 1.4606, dtype=torch.float64), atol=1e-3)
    assert torch.allclose((c - ca).norm(dim=-1), torch.full((10,), 1.526, dtype=torch.float64), atol=1e-6)
    cos = ((n - ca) * (c - ca)).sum(-1) / ((n - ca).norm(dim=-1) * (c - ca).norm(dim=-1))
    assert torch.allclose(torch.rad2deg(torch.acos(cos)), torch.full((10,), 111.07, dtype=torch.float64), atol=0.1)
    # and the frame recovered from those atoms is the frame we started from
    R2, t2 = rigid.frames_from_backbone(n, ca, c)
    assert torch.allclose(R2, R, atol=1e-6) and torch.allclose(t2, t, atol=1e-9)


def test_fape_zero_for_identical_and_invariant_to_global_motion():
    gen = torch.Generator().manual_seed(1)
    xyz = helix(20)[None]
    xyz_pred = xyz + 0.7 * torch.randn(xyz.shape, generator=gen, dtype=torch.float64)

    def frames_and_points(x):
        R, t = rigid.frames_from_backbone(x[..., 0, :], x[..., 1, :], x[..., 2, :])
        return R, t, x.reshape(1, -1, 3)

    Rt, tt, xt = frames_and_points(xyz)
    assert fape(Rt, tt, xt, Rt, tt, xt, eps=0.0).item() < 1e-6
    Rp, tp, xp = frames_and_points(xyz_pred)
    base = fape(Rp, tp, xp, Rt, tt, xt).item()
    assert base > 0.01
    G = random_rotation(gen)
    shift = torch.tensor([5.0, -3.0, 12.0], dtype=torch.float64)
    moved = xyz @ G.T + shift
    moved_pred = xyz_pred @ G.T + shift
    Rm, tm, xm = frames_and_points(moved)
    Rmp, tmp_, xmp = frames_and_points(moved_pred)
    assert abs(fape(Rmp, tmp_, xmp, Rm, tm, xm).item() - base) < 1e-6
    # moving only the prediction also leaves FAPE unchanged (it compares local views)
    assert abs(fape(Rmp, tmp_, xmp, Rt, tt, xt).item() - base) < 1e-6


def test_lddt_is_one_for_identical_and_drops_for_noise():
    ca = helix(30)[None, :, 1].float()
    assert torch.allclose(ca_lddt(ca, ca), torch.ones(1, 30))
    noisy = ca + 3.0 * torch.randn_like(ca)
    assert ca_lddt(noisy, ca).mean() < 0.6


def test_plddt_within_range_and_shapes():
    torch.manual_seed(0)
    m = WebFold(TINY).eval()
    with torch.no_grad():
        for p in m.plddt_head.parameters():
            p.mul_(50.0)  # extreme logits must still give 0..100
        out = m(torch.randint(0, 21, (2, 17)))
    assert out["plddt"].shape == (2, 17)
    assert out["atoms"].shape == (2, 17, 3, 3)
    assert out["distogram"].shape == (2, 17, 17, 64)
    assert (out["plddt"] >= 0).all() and (out["plddt"] <= 100).all()
    assert out["plddt"].std() > 0


def test_padding_mask_does_not_change_real_residues():
    torch.manual_seed(0)
    m = WebFold(TINY).eval()
    tokens = torch.randint(0, 21, (1, 12))
    padded = torch.cat([tokens, torch.randint(0, 21, (1, 5))], 1)
    mask = torch.cat([torch.ones(1, 12), torch.zeros(1, 5)], 1)
    with torch.no_grad():
        a = m(tokens)
        b = m(padded, mask)
    assert torch.allclose(a["atoms"], b["atoms"][:, :12], atol=1e-4)
    assert torch.allclose(a["plddt"], b["plddt"][:, :12], atol=1e-4)


def test_global_frame_equivariance_of_structure_output():
    """Outputs are built from invariant features, so the relative geometry never depends on
    the (identity) starting frame; check pairwise CA distances are finite and non-degenerate."""
    torch.manual_seed(0)
    m = WebFold(Config()).eval()
    with torch.no_grad():
        out = m(torch.randint(0, 20, (1, 25)))
    ca = out["atoms"][0, :, 1]
    d = torch.cdist(ca, ca)
    assert torch.isfinite(d).all()


def test_loss_decreases_when_overfitting_one_batch():
    torch.manual_seed(0)
    m = WebFold(TINY)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    xyz = helix(16)[None].float()
    tokens = torch.randint(0, 20, (1, 16))
    losses = []
    for _ in range(40):
        loss, _ = total_loss(m(tokens), xyz)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5, losses
