"""Trunk block: sequence track with pair-biased attention, pair track with outer product and
triangle multiplicative updates (docs/DESIGN.md D3; AF2 Alg. 7, 10, 11, 12)."""
import torch
import torch.nn.functional as F
from torch import nn

NEG_INF = -1e9


def key_mask_bias(mask):
    """[B, L] mask of real residues -> additive bias [B, 1, 1, L] for attention logits."""
    if mask is None:
        return None
    return (1.0 - mask[:, None, None, :]) * NEG_INF


class SeqAttention(nn.Module):
    """D3.1: gated multi-head self-attention with a bias from the pair track."""

    def __init__(self, cfg):
        super().__init__()
        self.h = cfg.heads
        self.ln = nn.LayerNorm(cfg.c_s)
        self.ln_z = nn.LayerNorm(cfg.c_z)
        self.q = nn.Linear(cfg.c_s, cfg.c_s, bias=False)
        self.k = nn.Linear(cfg.c_s, cfg.c_s, bias=False)
        self.v = nn.Linear(cfg.c_s, cfg.c_s, bias=False)
        self.pair_bias = nn.Linear(cfg.c_z, cfg.heads, bias=False)
        self.gate = nn.Linear(cfg.c_s, cfg.c_s)
        self.out = nn.Linear(cfg.c_s, cfg.c_s)

    def forward(self, s, z, mask=None):
        B, L, C = s.shape
        x = self.ln(s)
        split = lambda t: t.view(B, L, self.h, C // self.h).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        bias = self.pair_bias(self.ln_z(z)).permute(0, 3, 1, 2)
        if mask is not None:
            bias = bias + key_mask_bias(mask)
        # Fused attention on GPU; the scale is the default 1/sqrt(d).
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        o = o.transpose(1, 2).reshape(B, L, C)
        return s + self.out(torch.sigmoid(self.gate(x)) * o)


class Transition(nn.Module):
    """D3.2 / D3.5: pre-LN two-layer MLP residual."""

    def __init__(self, c, factor):
        super().__init__()
        self.ln = nn.LayerNorm(c)
        self.lin1 = nn.Linear(c, factor * c)
        self.lin2 = nn.Linear(factor * c, c)

    def forward(self, x):
        return x + self.lin2(torch.relu(self.lin1(self.ln(x))))


class OuterProduct(nn.Module):
    """D3.3: z_ij += out(a_i (x) b_j), computed without materialising the c_o^2 tensor."""

    def __init__(self, cfg):
        super().__init__()
        self.c_o = cfg.c_o
        self.ln = nn.LayerNorm(cfg.c_s)
        self.left = nn.Linear(cfg.c_s, cfg.c_o)
        self.right = nn.Linear(cfg.c_s, cfg.c_o)
        self.out = nn.Linear(cfg.c_o * cfg.c_o, cfg.c_z)

    def forward(self, s, z):
        B, L, _ = s.shape
        x = self.ln(s)
        a, b = self.left(x), self.right(x)
        w = self.out.weight.view(-1, self.c_o, self.c_o)  # [c_z, c_o(a), c_o(b)]
        p = torch.einsum("bic,ecd->bied", a, w)          # [B, L, c_z, c_o]
        o = p.reshape(B, L * w.shape[0], self.c_o) @ b.transpose(1, 2)  # [B, L*c_z, L]
        o = o.view(B, L, w.shape[0], L).permute(0, 1, 3, 2)
        return z + o + self.out.bias


class TriangleMultiplication(nn.Module):
    """D3.4: gated triangle update, 'outgoing' (sum_k a_ik b_jk) or 'incoming' (sum_k a_ki b_kj)."""

    def __init__(self, cfg, outgoing: bool):
        super().__init__()
        self.outgoing = outgoing
        self.ln = nn.LayerNorm(cfg.c_z)
        self.a_proj = nn.Linear(cfg.c_z, cfg.c_t)
        self.a_gate = nn.Linear(cfg.c_z, cfg.c_t)
        self.b_proj = nn.Linear(cfg.c_z, cfg.c_t)
        self.b_gate = nn.Linear(cfg.c_z, cfg.c_t)
        self.gate = nn.Linear(cfg.c_z, cfg.c_z)
        self.ln_out = nn.LayerNorm(cfg.c_t)
        self.out = nn.Linear(cfg.c_t, cfg.c_z)

    def forward(self, z, pair_mask=None):
        x = self.ln(z)
        a = torch.sigmoid(self.a_gate(x)) * self.a_proj(x)
        b = torch.sigmoid(self.b_gate(x)) * self.b_proj(x)
        if pair_mask is not None:
            a = a * pair_mask[..., None]
            b = b * pair_mask[..., None]
        if self.outgoing:   # [B,c,i,k] @ [B,c,k,j]
            t = a.permute(0, 3, 1, 2) @ b.permute(0, 3, 2, 1)
        else:               # a_ki b_kj: [B,c,i,k] @ [B,c,k,j]
            t = a.permute(0, 3, 2, 1) @ b.permute(0, 3, 1, 2)
        t = t.permute(0, 2, 3, 1)
        return z + torch.sigmoid(self.gate(x)) * self.out(self.ln_out(t))


class TrunkBlock(nn.Module):
    """One trunk block, D3 steps 1-5 in order."""

    def __init__(self, cfg):
        super().__init__()
        self.seq_attn = SeqAttention(cfg)
        self.seq_trans = Transition(cfg.c_s, 4)
        self.outer = OuterProduct(cfg)
        self.tri_out = TriangleMultiplication(cfg, outgoing=True)
        self.tri_in = TriangleMultiplication(cfg, outgoing=False)
        self.pair_trans = Transition(cfg.c_z, 2)

    def forward(self, s, z, mask=None):
        pair_mask = None if mask is None else mask[:, :, None] * mask[:, None, :]
        s = self.seq_attn(s, z, mask)
        s = self.seq_trans(s)
        z = self.outer(s, z)
        z = self.tri_out(z, pair_mask)
        z = self.tri_in(z, pair_mask)
        z = self.pair_trans(z)
        return s, z
