"""Rigid-frame maths in one place (docs/DESIGN.md D4, D5).

A frame is (R, t): R [..., 3, 3] rotates local -> global, t [..., 3] is the origin (CA).
"""
import torch

# Ideal backbone atom positions in the residue frame (D5), Angstrom.
IDEAL_N = (-0.525, 1.363, 0.0)
IDEAL_CA = (0.0, 0.0, 0.0)
IDEAL_C = (1.526, 0.0, 0.0)


def quat_to_rot(b, c, d):
    """Rotation from the non-normalised quaternion (1, b, c, d) (AF2 Alg. 23)."""
    n = torch.sqrt(1.0 + b * b + c * c + d * d)
    a, b, c, d = 1.0 / n, b / n, c / n, d / n
    rows = [
        a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
        2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
        2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d,
    ]
    return torch.stack(rows, dim=-1).reshape(*b.shape, 3, 3)


def apply(R, t, x):
    """Local -> global: R x + t. x [..., P, 3] with R/t broadcast over P."""
    return torch.einsum("...xy,...py->...px", R, x) + t.unsqueeze(-2)


def invert_apply(R, t, x):
    """Global -> local: R^T (x - t)."""
    return torch.einsum("...yx,...py->...px", R, x - t.unsqueeze(-2))


def compose(R, t, Ru, tu):
    """T o T_u: rotate then translate by the update expressed in the local frame."""
    return R @ Ru, t + torch.einsum("...xy,...y->...x", R, tu)


def frames_from_backbone(n, ca, c, eps=1e-8):
    """Gram-Schmidt frame: x along CA->C, N in the xy-plane with y > 0."""
    e1 = c - ca
    e1 = e1 / torch.sqrt((e1 * e1).sum(-1, keepdim=True) + eps)
    u = n - ca
    e2 = u - (u * e1).sum(-1, keepdim=True) * e1
    e2 = e2 / torch.sqrt((e2 * e2).sum(-1, keepdim=True) + eps)
    e3 = torch.cross(e1, e2, dim=-1)
    return torch.stack([e1, e2, e3], dim=-1), ca


def backbone_atoms(R, t):
    """Frames -> N, CA, C [..., 3, 3] from the ideal local positions (D5)."""
    local = torch.tensor([IDEAL_N, IDEAL_CA, IDEAL_C], dtype=R.dtype, device=R.device)
    return apply(R, t, local.expand(*t.shape[:-1], 3, 3))


def virtual_cb(n, ca, c):
    """Ideal CB from N, CA, C (tetrahedral geometry), used for the distogram target."""
    b = ca - n
    cc = c - ca
    a = torch.cross(b, cc, dim=-1)
    return -0.58273431 * a + 0.56802827 * b - 0.54067466 * cc + ca
