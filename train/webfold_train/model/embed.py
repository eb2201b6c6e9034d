"""Sequence and pair embedder (docs/DESIGN.md D2)."""
import torch
from torch import nn

N_TOKENS = 21
RELPOS_CLIP = 32


class Embedder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.aa = nn.Embedding(N_TOKENS, cfg.c_s)
        self.left = nn.Linear(cfg.c_s, cfg.c_z)
        self.right = nn.Linear(cfg.c_s, cfg.c_z)
        self.relpos = nn.Embedding(2 * RELPOS_CLIP + 1, cfg.c_z)

    def forward(self, tokens):
        """tokens [B, L] -> s [B, L, c_s], z [B, L, L, c_z]."""
        s = self.aa(tokens)
        pos = torch.arange(tokens.shape[1], device=tokens.device)
        rel = (pos[None, :] - pos[:, None]).clamp(-RELPOS_CLIP, RELPOS_CLIP) + RELPOS_CLIP
        z = self.left(s)[:, :, None, :] + self.right(s)[:, None, :, :] + self.relpos(rel)[None]
        return s, z
