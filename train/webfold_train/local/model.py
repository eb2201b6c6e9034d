"""The local-structure network (docs/LOCAL.md). Mirrored layer by layer in `src/local/model.rs`:
any change here must be made there too (tests/local_parity.rs fails otherwise).

tokens [B, L] (D1, 0..20) -> embedding -> residual blocks of two dilated convolutions
(LayerNorm over channels, ReLU, Conv1d) -> final LayerNorm -> one Linear per head.
Channels are kept as [B, C, L] between blocks (Conv1d's layout); LayerNorm works on [B, L, C].
"""
from dataclasses import dataclass, asdict, field
import json

import torch
from torch import nn
import torch.nn.functional as F

# DSSP 8 states in head order; "C" stands for every other DSSP code (coil, blank, "-").
SS8 = "HGIEBTSC"
# 3 states in head order and the DSSP 8 -> 3 reduction (H, G, I -> H; E, B -> E; rest -> C).
SS3 = "HEC"
SS8_TO_SS3 = [0, 0, 0, 1, 1, 2, 2, 2]
# phi and psi: 36 bins of 10 degrees each, bin k covers [-180 + 10k, -170 + 10k).
ANGLE_BINS = 36
# Burial: virtual-CB neighbour count within 10 A (scripts/build_local_data.py); bin k holds
# counts in [BURIAL_EDGES[k-1], BURIAL_EDGES[k]) with -inf / +inf at the ends.
BURIAL_EDGES = [11, 15, 19, 23]
N_TOKENS = 21


@dataclass
class LocalConfig:
    channels: int = 64
    kernel: int = 3
    dilations: list = field(default_factory=lambda: [1, 2, 4, 8, 1, 2, 4, 8])

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "LocalConfig":
        return LocalConfig(**json.loads(text))


HEADS = {"ss3": 3, "ss8": 8, "phi": ANGLE_BINS, "psi": ANGLE_BINS, "burial": len(BURIAL_EDGES) + 1}


class Block(nn.Module):
    """x + conv2(relu(ln2(conv1(relu(ln1(x)))))), conv1 dilated; both keep the length
    (zero padding), so a residue sees (kernel - 1) * (dilation + 1) neighbours more per block."""

    def __init__(self, c, k, d):
        super().__init__()
        self.ln1 = nn.LayerNorm(c)
        self.conv1 = nn.Conv1d(c, c, k, dilation=d, padding=d * (k - 1) // 2)
        self.ln2 = nn.LayerNorm(c)
        self.conv2 = nn.Conv1d(c, c, k, padding=(k - 1) // 2)

    def forward(self, x, mask):
        # x [B, C, L]; mask [B, 1, L]. Padding is zeroed before every convolution so that a
        # padded batch gives each chain exactly what it gets alone (the convolution's own zero
        # padding past the chain's ends), which is what Rust sees for one sequence.
        h = F.relu(self.ln1(x.transpose(1, 2))).transpose(1, 2) * mask
        h = self.conv1(h)
        h = F.relu(self.ln2(h.transpose(1, 2))).transpose(1, 2) * mask
        return x + self.conv2(h)


class LocalNet(nn.Module):
    def __init__(self, cfg: LocalConfig):
        super().__init__()
        assert cfg.kernel % 2 == 1, "odd kernels keep the length with symmetric padding"
        self.cfg = cfg
        c = cfg.channels
        self.embed = nn.Embedding(N_TOKENS, c)
        self.blocks = nn.ModuleList(Block(c, cfg.kernel, d) for d in cfg.dilations)
        self.ln = nn.LayerNorm(c)
        self.heads = nn.ModuleDict({k: nn.Linear(c, n) for k, n in HEADS.items()})

    def forward(self, tokens, mask=None):
        """tokens [B, L] int64, mask [B, L] (1 = residue) -> {head: logits [B, L, n]}."""
        if mask is None:
            mask = torch.ones(tokens.shape, dtype=torch.float32, device=tokens.device)
        m = mask[:, None, :].float()
        x = self.embed(tokens).transpose(1, 2) * m
        for blk in self.blocks:
            x = blk(x, m)
        s = self.ln(x.transpose(1, 2))
        return {k: h(s) for k, h in self.heads.items()}


def n_params(model):
    return sum(p.numel() for p in model.parameters())
