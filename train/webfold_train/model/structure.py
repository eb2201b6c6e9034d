"""Structure module: invariant point attention and backbone frame updates
(docs/DESIGN.md D4; AF2 Alg. 20, 22, 23)."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import rigid
from .trunk import key_mask_bias

TRANS_SCALE = 10.0  # backbone-update translations are predicted in nm


class InvariantPointAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, c, pq, pv = cfg.ipa_heads, cfg.ipa_c, cfg.ipa_pq, cfg.ipa_pv
        self.H, self.c, self.pq, self.pv = H, c, pq, pv
        self.q = nn.Linear(cfg.c_s, H * c)
        self.k = nn.Linear(cfg.c_s, H * c)
        self.v = nn.Linear(cfg.c_s, H * c)
        self.q_pts = nn.Linear(cfg.c_s, H * pq * 3)
        self.k_pts = nn.Linear(cfg.c_s, H * pq * 3)
        self.v_pts = nn.Linear(cfg.c_s, H * pv * 3)
        self.pair_bias = nn.Linear(cfg.c_z, H, bias=False)
        self.head_weights = nn.Parameter(torch.full((H,), math.log(math.e - 1.0)))  # softplus -> 1
        self.out = nn.Linear(H * (c + pv * 4 + cfg.c_z), cfg.c_s)

    def forward(self, s, z, R, t, mask=None):
        B, L, _ = s.shape
        H, c, pq, pv = self.H, self.c, self.pq, self.pv
        heads = lambda x, d: x.view(B, L, H, d).transpose(1, 2)  # noqa: E731  [B,H,L,d]
        q, k, v = heads(self.q(s), c), heads(self.k(s), c), heads(self.v(s), c)

        def points(lin, p):  # local points -> global, laid out [B, H, L, p*3]
            x = lin(s).view(B, L, H * p, 3)
            x = rigid.apply(R, t, x).view(B, L, H, p * 3)
            return x.transpose(1, 2)

        qp, kp, vp = points(self.q_pts, pq), points(self.k_pts, pq), points(self.v_pts, pv)
        # sum_p |qp_i - kp_j|^2 = |qp_i|^2 + |kp_j|^2 - 2 qp_i . kp_j
        d2 = ((qp * qp).sum(-1)[..., :, None] + (kp * kp).sum(-1)[..., None, :]
              - 2.0 * qp @ kp.transpose(-1, -2))
        gamma = F.softplus(self.head_weights).view(1, H, 1, 1)
        w_c = math.sqrt(2.0 / (9.0 * pq))
        w_l = math.sqrt(1.0 / 3.0)
        logits = (q @ k.transpose(-1, -2)) / math.sqrt(c)
        logits = logits + self.pair_bias(z).permute(0, 3, 1, 2) - gamma * (w_c / 2.0) * d2
        logits = w_l * logits
        if mask is not None:
            logits = logits + key_mask_bias(mask)
        a = torch.softmax(logits, dim=-1)                                  # [B,H,L,L]

        o = (a @ v).transpose(1, 2).reshape(B, L, H * c)
        o_pt = (a @ vp).transpose(1, 2).reshape(B, L, H * pv, 3)           # global
        o_pt = rigid.invert_apply(R, t, o_pt)                              # local
        o_norm = torch.sqrt((o_pt * o_pt).sum(-1) + 1e-8)                  # [B,L,H*pv]
        o_pair = a.permute(0, 2, 1, 3) @ z                                 # [B,L,H,c_z]
        feats = [o, o_pt.reshape(B, L, H * pv * 3), o_norm, o_pair.reshape(B, L, -1)]
        return self.out(torch.cat(feats, dim=-1))


class StructureModule(nn.Module):
    """D4: n_struct shared-weight iterations of IPA + transition + backbone update."""

    def __init__(self, cfg):
        super().__init__()
        self.n_struct = cfg.n_struct
        self.ln_s = nn.LayerNorm(cfg.c_s)
        self.ln_z = nn.LayerNorm(cfg.c_z)
        self.s_in = nn.Linear(cfg.c_s, cfg.c_s)
        self.ipa = InvariantPointAttention(cfg)
        self.ln_ipa = nn.LayerNorm(cfg.c_s)
        self.trans1 = nn.Linear(cfg.c_s, cfg.c_s)
        self.trans2 = nn.Linear(cfg.c_s, cfg.c_s)
        self.trans3 = nn.Linear(cfg.c_s, cfg.c_s)
        self.ln_trans = nn.LayerNorm(cfg.c_s)
        self.bb_update = nn.Linear(cfg.c_s, 6)

    def forward(self, s, z, mask=None):
        """Returns final s, and per-iteration rotations [n, B, L, 3, 3], translations [n, B, L, 3].

        Always float32, also inside a bf16 autocast region (GPU training): IPA's squared point
        distances (|q|^2 + |k|^2 - 2 q.k over coordinates of tens of A) and the composed frames
        lose everything to bf16's 8-bit mantissa, as OpenFold also found."""
        with torch.autocast(device_type=s.device.type, enabled=False):
            return self._forward(s.float(), z.float(), None if mask is None else mask.float())

    def _forward(self, s, z, mask):
        B, L, _ = s.shape
        s = self.s_in(self.ln_s(s))
        z = self.ln_z(z)
        R = torch.eye(3, dtype=s.dtype, device=s.device).expand(B, L, 3, 3)
        t = s.new_zeros(B, L, 3)
        Rs, ts = [], []
        for it in range(self.n_struct):
            s = self.ln_ipa(s + self.ipa(s, z, R, t, mask))
            s = self.ln_trans(s + self.trans3(torch.relu(self.trans2(torch.relu(self.trans1(s))))))
            u = self.bb_update(s)
            Ru = rigid.quat_to_rot(u[..., 0], u[..., 1], u[..., 2])
            R, t = rigid.compose(R, t, Ru, u[..., 3:6] * TRANS_SCALE)
            Rs.append(R)
            ts.append(t)
            if self.training and it < self.n_struct - 1:
                R = R.detach()  # AF2: no gradient through rotations between iterations
        return s, torch.stack(Rs), torch.stack(ts)
